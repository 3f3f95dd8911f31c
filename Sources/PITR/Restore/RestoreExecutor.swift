import PITRBackup
import PITRConfig
import PITRPipeline
import PITRRepository
import PITRSupport
import PITRWAL

/// Carries out a `RestorePlan`: checks every destination (and an incremental backup's chain) before writing
/// anything, writes backup_manifest, then streams each backup object from storage through the decoder into the tar
/// extractor (never staged), checking every file against the manifest as it is written; an incremental backup is
/// rebuilt from its chain in the same pass (`ChainRebuild`). Then it writes
/// the signal file, the recovery settings and the recovery config file, and syncs everything.
/// A marker in the target says "unfinished" from the first write to the last.
public final class RestoreExecutor {
    let repository: Repository
    private let settings: Settings
    let log: Log
    /// One human-readable line per step (the command prints them).
    public var onProgress: (String) -> Void = { _ in }
    /// Opens another connection to the repository, for staging WAL on every core; nil stages on one.
    public var openRepository: RepositoryOpener?

    public init(repository: Repository, settings: Settings, log: Log) {
        self.repository = repository
        self.settings = settings
        self.log = log
    }

    /// The checks made before anything is written: absolute, empty (or missing) target and
    /// tablespace locations, known tablespaces in the map, a usable recovery config file and owner.
    public func check(_ plan: RestorePlan, _ options: RestoreOptions) throws -> Destinations {
        let target = options.targetDirectory
        guard target.hasPrefix("/") else { throw RestoreError.notAbsolute(what: "--target-dir", path: target) }
        if RestoreMarker.isPresent(in: target) { throw RestoreError.interrupted(directory: target) }
        guard try Self.isMissingOrEmpty(target) else { throw RestoreError.targetNotEmpty(directory: target) }
        let backup = plan.backup
        for oid in options.tablespaceMap.keys where !backup.tablespaces.contains(where: { $0.oid == oid }) {
            throw RestoreError.tablespaceMapUnknown(oid: oid, backup: backup.name)
        }
        var locations: [UInt32: String] = [:]
        for tablespace in backup.tablespaces {
            let location = options.tablespaceMap[tablespace.oid] ?? tablespace.location
            guard location.hasPrefix("/") else { throw RestoreError.notAbsolute(what: "tablespace \(tablespace.oid)'s location", path: location) }
            guard try Self.isMissingOrEmpty(location) else { throw RestoreError.tablespaceNotEmpty(oid: tablespace.oid, directory: location) }
            locations[tablespace.oid] = location
        }
        let configPath = options.recoveryConfigFile ?? RecoveryConfigFile.defaultPath(for: target)
        guard configPath.hasPrefix("/") else { throw RestoreError.notAbsolute(what: "--recovery-config", path: configPath) }
        let config = RecoveryConfigFile(path: configPath, settings: settings, workingDirectory: ProcessPaths.workingDirectory())
        try config.check(target: target)
        _ = try config.text(target: target)  // a value the file cannot hold fails here, not after the download
        let owner = try FileOwner.choose(options.owner, parentOf: target)
        var chain: BackupChain?
        if backup.type == .incremental {
            let (backups, unreadable) = try BackupCatalog(repository: repository).scan()
            chain = try BackupChain(of: backup, among: backups, unreadable: unreadable)
        }
        for (name, path) in config.lines where RecoveryConfigFile.pathSettings.contains(name) && !owner.mayRead(path) {
            log.warning("\(name) \(path) is not readable by \(owner.name), who runs restore_command: recovery will stop at its first WAL file until it is (chown or chmod it)")
        }
        return Destinations(target: target, tablespaces: locations, config: config, owner: owner, chain: chain)
    }

    /// Where everything goes, once checked.
    public struct Destinations: Sendable {
        public let target: String
        public let tablespaces: [UInt32: String]
        public let config: RecoveryConfigFile
        public let owner: FileOwner
        /// An incremental backup's chain, newest first; nil for a full backup.
        public let chain: BackupChain?
    }

    /// Restores the plan's backup into `options.targetDirectory` and configures recovery.
    ///
    /// Run as root, everything inside the target and the tablespace locations, which belong to the
    /// owner from the start, is done by descriptor (`OpenDirectory`), and so is what is written beside
    /// them: the owner's processes can replace any name there with a symlink while restore runs, and
    /// restore never follows one.
    public func execute(_ plan: RestorePlan, _ options: RestoreOptions) throws -> RestoreSummary {
        let destinations = try check(plan, options)
        let clock = Stopwatch()
        let target = destinations.target, owner = destinations.owner
        let targetDirectory = try makeDirectory(target, owner: owner)
        guard try targetDirectory.list().isEmpty else { throw RestoreError.targetNotEmpty(directory: target) }
        try RestoreMarker.place(in: targetDirectory, backup: plan.backup.name, owner: owner)
        var tablespaces: [UInt32: OpenDirectory] = [:]
        for (oid, location) in destinations.tablespaces {
            let directory = try makeDirectory(location, owner: owner)
            guard try directory.list().isEmpty else { throw RestoreError.tablespaceNotEmpty(oid: oid, directory: location) }
            tablespaces[oid] = directory
        }

        let rebuild = destinations.chain.map { ChainRebuild(chain: $0) }
        let extracted = try extractArchives(plan.backup, destinations, target: targetDirectory, tablespaces: tablespaces, rebuild: rebuild)
        try configure(plan, options, destinations, target: targetDirectory)
        // PostgreSQL accepts 0750 data directories only from clusters made with group access; the
        // data directory's archive (base.tar) says which this one was.
        if extracted.first(where: { $0.root === targetDirectory })?.sawGroupAccess == true {
            for directory in [targetDirectory] + Array(tablespaces.values) { try directory.changeMode(0o750) }
        }
        onProgress("syncing \(extracted.reduce(0) { $0 + $1.fileCount } + (rebuild?.rebuiltFiles ?? 0)) files to disk")
        for extractor in extracted { try extractor.sync() }
        for directory in Array(tablespaces.values) + [targetDirectory] { try directory.sync() }
        for path in Set(([target] + Array(destinations.tablespaces.values)).map { FileSystem.dirname(of: $0) }) {
            try OpenDirectory.open(path).sync()
        }
        // After the sync: WAL staged before it would be written back with the files, slowing it.
        try prestageWAL(plan, destinations, target: targetDirectory)
        try RestoreMarker.remove(from: targetDirectory)
        return RestoreSummary(
            targetDirectory: target, recoveryConfigFile: destinations.config.path, owner: owner,
            files: extracted.reduce(0) { $0 + $1.fileCount } + (rebuild?.rebuiltFiles ?? 0), bytes: extracted.reduce(0) { $0 + $1.contentBytes } + (rebuild?.rebuiltBytes ?? 0),
            seconds: clock.seconds)
    }

    /// With prefetch on, stages the plan's WAL in the restored directory (`WALPrestager`, which
    /// syncs each file on its own threads; wal-fetch checks each one again before PostgreSQL gets it).
    private func prestageWAL(_ plan: RestorePlan, _ destinations: Destinations, target: OpenDirectory) throws {
        guard try settings.prefetch() > 0, !plan.segments.isEmpty else { return }
        let clock = Stopwatch()
        let result: WALPrestager.Result
        do {
            let prestager = WALPrestager(
                repository: repository, identity: plan.backup.identity, dataDirectory: target, segmentSize: try WALSegmentSize(bytes: plan.backup.segmentSize),
                owner: destinations.owner, log: log, openRepository: openRepository)
            result = try prestager.stage(plan.segments, threads: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        } catch {
            // Staging is a head start, never a condition of the restore: wal-fetch fetches what is not staged.
            log.warning("WAL not staged before recovery, wal-fetch fetches it: \((error as? PITRError)?.description ?? "\(error)")")
            return
        }
        onProgress("WAL: \(result.staged) segment\(result.staged == 1 ? "" : "s") staged for recovery in \(Stopwatch.text(clock.seconds))"
                   + (result.left > 0 ? ", \(result.left) left to the prefetcher" : ""))
    }

    /// Signal file, minimal configuration when the backup has none, recovery settings and the recovery config file.
    private func configure(_ plan: RestorePlan, _ options: RestoreOptions, _ destinations: Destinations, target: OpenDirectory) throws {
        let owner = destinations.owner
        // A backup of a standby carries its signal file; the one restore writes is the only one that counts.
        for signal in ["recovery.signal", "standby.signal"] { try target.remove(signal) }
        try writeNew(options.standby ? "standby.signal" : "recovery.signal", "", in: target, owner: owner)
        let defaults = [
            ("postgresql.conf", MinimalServerConfig.postgresqlConf(port: options.port)),
            ("pg_hba.conf", MinimalServerConfig.pgHbaConf),
            ("pg_ident.conf", MinimalServerConfig.pgIdentConf),
        ]
        for (name, text) in defaults where target.status(name) == nil {
            onProgress("the backup holds no \(name): writing a minimal one")
            try writeNew(name, text, in: target, owner: owner)
        }
        let recovery = RecoverySettings(
            target: plan.request.target, exclusive: plan.request.exclusive, timeline: plan.targetTimeline,
            action: options.action ?? RecoveryAction.defaultAction(for: plan.request.target),
            archive: options.archive, executable: options.executable, configFile: destinations.config.path, port: options.port)
        let autoConf = "postgresql.auto.conf"
        // Only the file the archive wrote: restore's own, or the owner's, never one linked in from elsewhere.
        let existing = target.status(autoConf) == nil ? [] : try target.readOwnedFile(autoConf, owners: [owner.uid, geteuid()])
        try target.remove(autoConf)
        var text = String(decoding: existing, as: UTF8.self)
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        text += recovery.text
        if !options.serverSettings.isEmpty {
            text += "# Written by tailtown-pitr for this copy only.\n"
                + options.serverSettings.map { "\($0.name) = \(RecoverySettings.quoted($0.value))\n" }.joined()
        }
        try writeNew(autoConf, text, in: target, owner: owner)
        try destinations.config.write(target: destinations.target, owner: owner)
        onProgress("recovery: \(recovery.settings.filter { $0.name != "restore_command" }.map { "\($0.name) = \($0.value)" }.joined(separator: ", "))")
        onProgress("restore_command reads its settings from \(destinations.config.path)")
    }

    /// Creates `name` in `directory` with `text`, mode 0600, owned by `owner`, synced.
    private func writeNew(_ name: String, _ text: String, in directory: OpenDirectory, owner: FileOwner) throws {
        let file = try directory.createFile(name, mode: 0o600)
        try file.write(Array(text.utf8))
        try owner.take(file)
        try file.sync()
    }

    /// Opens the directory at `path`, creating it and its missing parents 0700 for `owner` (a
    /// root-owned parent made here would keep PostgreSQL out of its own directory), by descriptor.
    /// An existing directory is taken over only from the owner or root.
    private func makeDirectory(_ path: String, owner: FileOwner) throws -> OpenDirectory {
        let takeOver = { (directory: OpenDirectory) throws in
            let uid = try directory.status().st_uid
            guard uid == owner.uid || uid == geteuid() else { throw RestoreError.foreignDirectory(path: directory.path, uid: uid, owner: owner.name) }
            try directory.changeMode(0o700)
            if owner.needsHandOver { try directory.changeOwner(uid: owner.uid, gid: owner.gid) }
        }
        let directory = try OpenDirectory.open(path) { parent, name in
            let made = try parent.makeDirectory(name, mode: 0o700, existing: true)
            try takeOver(made)
            return made
        }
        try takeOver(directory)
        return directory
    }

    static func isMissingOrEmpty(_ path: String) throws -> Bool {
        guard FileSystem.exists(path) else { return true }
        guard FileSystem.isDirectory(path) else { return false }
        return try FileSystem.list(path).isEmpty
    }

    static func megabytes(_ bytes: Int) -> String { String(format1: Double(bytes) / 1e6) + " MB" }
    static func rate(_ bytes: Int, _ seconds: Double) -> String { String(format1: Double(bytes) / 1e6 / max(seconds, 0.001)) + " MB/s" }
    static func percent(_ part: Int, _ whole: Int) -> String { "\(whole > 0 ? part * 100 / whole : 100)%" }
}
