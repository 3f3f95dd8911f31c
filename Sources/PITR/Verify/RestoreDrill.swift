import PITRBackup
import PITRRepository
import PITRRestore
import PITRRetention
import PITRStorage
import PITRSupport

/// `verify --restore-test`: the monthly restore drill, automated (docs/operations.md, "Restore test").
///
/// Restores the newest backup (recovering to the end of the archive as a standby, which never
/// promotes) or a target (paused there) into a fresh scratch directory, with archiving off, the
/// tablespaces inside the scratch directory and a private server: a Unix socket in the scratch
/// directory only, a free port, its own pg_hba (local peer). Waits until it is consistent (open
/// for reads) or paused at the target, runs the check queries as the data directory's owner, stops
/// it and removes everything. Each phase is timed: together they are the measured RTO.
///
/// The scratch directory stays root's (0711): only the data directory, the tablespaces and the socket
/// folder inside it are the owner's, and everything written into them is written the way `restore`
/// writes, by descriptor (the drill's server settings go through the same `RestoreExecutor`).
public struct RestoreDrill {
    public struct Phase: Equatable, Sendable {
        public let name: String
        public let seconds: Double
    }

    public struct CheckResult: Equatable, Sendable {
        public let check: DrillCheck
        /// The first value, or the error psql printed.
        public let value: String
        public let passed: Bool
    }

    public struct Report: Sendable {
        public let backup: String
        public let phases: [Phase]
        public let checks: [CheckResult]
        /// Why the drill failed before or while running the checks.
        public let failure: String?
        /// What the drill chose that its caller did not ask for (another backup than the archived one it would use).
        public var notes: [String] = []
        /// The plan's work: stored bytes downloaded, WAL bytes replayed (0 when no plan was made).
        public var downloadBytes = 0
        public var replayBytes = 0

        public var passed: Bool { failure == nil && checks.allSatisfy(\.passed) }
        public var totalSeconds: Double { phases.reduce(0) { $0 + $1.seconds } }

        public var text: String {
            var lines = ["restore test of \(backup.hasPrefix("dump ") ? "" : "backup ")\(backup.isEmpty ? "?" : backup):"]
            for note in notes { lines.append("  note: \(note)") }
            for phase in phases { lines.append("  \(phase.name): \(Stopwatch.text(phase.seconds))") }
            lines.append("  total (the measured RTO): \(Stopwatch.text(totalSeconds))")
            for result in checks {
                lines.append("  check \(result.passed ? "passed" : "FAILED"): \(result.check.sql) gave \(result.value), expected \(result.check.expectation)")
            }
            if let failure { lines.append("  FAILED: \(failure)") }
            lines.append(passed ? "restore test passed" : "restore test failed")
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// The restore's path, shared with `restore`.
    public var procedure: RestoreProcedure
    private var repository: Repository { procedure.repository }
    var log: Log { procedure.log }
    /// Nil: the newest backup, recovered to the end of the archive.
    public var target: RecoveryTarget?
    /// Load the newest dump of `database` into a new cluster instead (`verify --restore-test --from-dump`).
    public var fromDump = false
    public var checks: [DrillCheck] = []
    public var database = "postgres"
    public var scratchParent = "/var/tmp"
    /// This binary, for restore_command.
    public var executable: String
    /// `--thaw`: when the backup the drill would use is in an archive storage class, request its thaw (and drill it once
    /// thawed) instead of drilling the newest backup that needs no thaw.
    public var thaw: (tier: ThawTier, days: Int)?

    public init(procedure: RestoreProcedure, executable: String) {
        self.procedure = procedure
        self.executable = executable
    }

    public func run() -> Report {
        if fromDump { return runFromDump() }
        var phases: [Phase] = []
        var backup = ""
        var results: [CheckResult] = []
        var scratch: String?
        var started: PostgresStarter?
        var failure: String?
        var notes: [String] = []
        var work = (download: 0, replay: 0)
        func timed<T>(_ name: String, _ body: () throws -> T) throws -> T {
            let clock = Stopwatch()
            defer { phases.append(Phase(name: name, seconds: clock.seconds)) }
            return try body()
        }
        do {
            // Without a target, the newest backup's cluster (after a pg_upgrade, the new one).
            let cluster = target == nil ? try BackupCatalog(repository: repository).list().last?.identity : nil
            let request = RestoreRequest(target: target ?? .latest, cluster: cluster)
            let plan = try timed("plan") { try readable(try procedure.plan(request), notes: &notes) }
            backup = plan.backup.name
            work = RestoreEstimate.work(of: plan)
            let folder = try makeScratch()
            scratch = folder
            var options = RestoreOptions(targetDirectory: folder + "/data", executable: executable)
            for tablespace in plan.backup.tablespaces { options.tablespaceMap[tablespace.oid] = folder + "/tablespaces/\(tablespace.oid)" }
            options.recoveryConfigFile = folder + "/tailtown-pitr.conf"
            options.port = try Self.freePort()
            options.standby = target == nil
            options.action = target == nil ? nil : .pause
            let owner = try FileOwner.choose(nil, parentOf: options.targetDirectory)
            options.serverSettings = try privateServer(folder: folder, owner: owner)
            let summary = try timed("download and extract") { try procedure.execute(plan, options) { log.info($0) } }
            let starter = try procedure.starter(for: plan, summary)
            try timed(target == nil ? "recovery until consistent" : "recovery to the target") {
                try starter.start()
                started = starter
                _ = try starter.waitForTarget(action: .pause, standbyFollowing: target == nil)
            }
            results = try timed("check queries") {
                try checks.map { try run($0, socket: folder + "/" + Self.socketFolder, port: options.port ?? 5432, starter: starter, owner: summary.owner) }
            }
        } catch let error as PITRError {
            failure = error.description
        } catch {
            failure = "\(error)"
        }
        phases.append(cleanUp(started: started, scratch: scratch, failed: failure != nil))
        var report = Report(backup: backup, phases: phases, checks: results, failure: failure)
        report.notes = notes
        (report.downloadBytes, report.replayBytes) = work
        return report
    }

    /// `plan`, when nothing it reads waits for a thaw. Otherwise, with `thaw`, the thaw is requested and the plan made again
    /// (its target placed in the thawed WAL) once it is done, else `DrillError.thawPending`; without, the plan of the newest
    /// backup that needs no thaw, the choice said in `notes`, else `DrillError.archived`.
    func readable(_ plan: RestorePlan, notes: inout [String]) throws -> RestorePlan {
        guard !plan.archived.isEmpty else { return plan }
        let planThaw = PlanThaw(storage: repository.storage, objects: plan.archived)
        var progress = try planThaw.progress()
        if let thaw, !progress.isDone {
            notes.append(try planThaw.request(tier: thaw.tier, days: thaw.days, after: progress))
            progress = try planThaw.progress()
        }
        if progress.isDone { return try procedure.plan(plan.request, archivedReadable: true) }
        let archived = "\(plan.archived.count) object\(plan.archived.count == 1 ? "" : "s") the drill of backup \(plan.backup.name) reads "
            + "\(plan.archived.count == 1 ? "is" : "are") in an archive storage class"
        if thaw != nil { throw DrillError.thawPending(what: archived, progress: progress.text) }
        for candidate in try BackupCatalog(repository: repository).list().reversed() where candidate.name != plan.backup.name {
            var request = plan.request
            request.backupName = candidate.name
            guard let other = try? procedure.plan(request), other.archived.isEmpty else { continue }
            notes.append("\(archived) and not thawed: drilling backup \(candidate.name) instead, the newest that needs no thaw; "
                         + "verify --restore-test --thaw TIER drills \(plan.backup.name) once thawed")
            return other
        }
        throw DrillError.archived(what: archived)
    }

    /// Stops the drill server and removes the scratch directory: the last phase.
    func cleanUp(started: PostgresStarter?, scratch: String?, failed: Bool) -> Phase {
        let clock = Stopwatch()
        if let starter = started {
            if let problem = starter.stopImmediately() { log.warning("pg_ctl stop: \(problem)") }
            if failed { log.error("the drill server's log ends with:\n\(starter.logTail())") }
        }
        if let scratch {
            if let result = try? ChildProcess(executable: "/bin/rm", arguments: ["-rf", scratch]).run(), result.status != 0 {
                log.warning("cannot remove the scratch directory \(scratch): \(result.output)")
            }
        }
        return Phase(name: "stop and clean up", seconds: clock.seconds)
    }

    /// The folder of the drill server's socket, inside the scratch directory.
    static let socketFolder = "socket"

    /// A new directory under `scratchParent`, root's, which the owner may pass through but not change.
    func makeScratch() throws -> String {
        var template = Array((scratchParent + "/tailtown-pitr-drill-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw DrillError.noScratch(path: scratchParent, reason: String(cString: strerror(errno)))
        }
        let path = String(cString: made)
        try OpenDirectory.open(path).changeMode(0o711)
        return path
    }

    /// Settings for postgresql.auto.conf, after the recovery settings, so they win: the server is
    /// reachable only through its socket in the scratch directory, follows only the archive, logs to
    /// pg_ctl's file, and starts on a small host beside production. Makes the socket folder (the
    /// owner's) and the hba file (root's folder, the owner's file) by descriptor.
    func privateServer(folder: String, owner: FileOwner) throws -> [(name: String, value: String)] {
        let scratch = try OpenDirectory.open(folder)
        let socket = try scratch.makeDirectory(Self.socketFolder, mode: 0o700)
        if owner.needsHandOver { try socket.changeOwner(uid: owner.uid, gid: owner.gid) }
        let hba = try scratch.createFile("pg_hba.drill.conf", mode: 0o600)
        try hba.write(Array("# tailtown-pitr restore test: local connections as the operating-system user of the same name.\nlocal all all peer\n".utf8))
        try owner.take(hba)
        return [
            ("listen_addresses", ""), ("unix_socket_directories", socket.path), ("hba_file", hba.path), ("primary_conninfo", ""),
            ("logging_collector", "off"), ("shared_buffers", "128MB"), ("cluster_name", "tailtown-pitr-restore-test"),
        ]
    }

    func run(_ check: DrillCheck, socket: String, port: Int, starter: PostgresStarter, owner: FileOwner) throws -> CheckResult {
        let psql = ChildProcess(executable: starter.binDirectory + "/psql",
                                arguments: ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", socket, "-p", String(port),
                                            "-U", owner.name, "-d", database, "-c", check.sql],
                                user: owner, directory: socket)
        let result = try psql.run()
        let output = result.output.split(separator: "\n").first.map(String.init) ?? ""
        guard result.status == 0 else {
            return CheckResult(check: check, value: "an error: " + result.output.split(separator: "\n").joined(separator: "; "), passed: false)
        }
        let value = String(output.split(separator: "|", omittingEmptySubsequences: false).first ?? "")
        return CheckResult(check: check, value: value, passed: check.accepts(value))
    }

    /// A TCP port no one listens on now; the drill server uses it only to name its socket, but a
    /// free one keeps it clear of anything a person might start by hand during the drill.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw IOError("open a socket to find a free port for", "the restore test") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw IOError("bind a socket to find a free port for", "the restore test") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
