import PITRNative
import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// What `backup-push` is asked to do; every field has the documented default.
public struct BackupPushRequest: Sendable {
    /// A libpq connection string or URI; empty means libpq's defaults (PGHOST, PGPORT, PGUSER, ...).
    public var conninfo: String = ""
    /// The backup label recorded by the server (backup_label); default "tailtown-pitr".
    public var label: String = "tailtown-pitr"
    public var checkpoint: CheckpointMode = .fast
    /// Wait until the WAL from start to stop and the .backup file are in the repository.
    public var waitForWAL = true
    /// How long the WAL wait lasts before failing.
    public var walTimeoutSeconds = 300
    /// The most bytes of an archive one stored object holds (S3 parts stay bounded; restore concatenates).
    public var objectSize = 1 << 30
    /// On S3, multipart uploads under backups/ started longer ago than this are aborted before the
    /// backup starts: a killed backup-push leaves its parts there. An upload lasts as long as one
    /// object (at most `objectSize`) takes to stream, so a day is far beyond any live one.
    public var abandonedUploadSeconds = 86_400
    /// Full, incremental, or automatic: incremental while the last full backup is younger than `fullEverySeconds`.
    public var type: BackupTypeChoice.Request = .automatic
    /// TAILTOWN_FULL_EVERY in seconds.
    public var fullEverySeconds: Int64 = 7 * 86_400

    public init() {}
}

/// `backup-push`: a base backup over the replication protocol, streamed through the object pipeline
/// into `backups/<name>/` of the repository, the descriptor written last (docs/format.md, "Backups").
///
/// Order: connect, IDENTIFY_SYSTEM, BASE_BACKUP; each archive is cut into objects of at most
/// `objectSize` bytes as it arrives (one message held at a time); then the manifest; then the
/// bounded wait for the WAL; then the descriptor. Any failure or interruption aborts the upload
/// in progress, removes the objects already stored, and writes no descriptor.
public final class BackupPush {
    let repository: Repository
    let options: ObjectOptions
    let log: Log
    let interruption: InterruptSignal
    /// The billed requests the last `run` sent to the repository (nil on file://).
    public private(set) var requests: RequestCounts?
    /// Called with (bytes done, bytes estimated) as the server reports progress.
    public var onProgress: (Int64, Int64) -> Void = { _, _ in }

    public init(repository: Repository, options: ObjectOptions, interruption: InterruptSignal, log: Log) {
        self.repository = repository
        self.options = options
        self.interruption = interruption
        self.log = log
    }

    public func run(_ request: BackupPushRequest) throws -> BackupDescriptor {
        let before = repository.storage.requests
        defer { requests = repository.storage.requests.flatMap { after in before.map { after - $0 } } }
        try repository.checkEncryption()
        let connection = try connect(request.conninfo)
        defer { connection.close() }
        connection.interruptDescriptor = interruption.descriptor
        let major = try PostgreSQLMajor.require(PostgreSQLMajor.major(serverVersion: connection.serverVersion),
                                                from: "the server backup-push connected to")

        let system = try refusing { try connection.query("IDENTIFY_SYSTEM") }
        guard let systemIdentifier = system.value("systemid").flatMap({ UInt64($0) }) else {
            throw BackupError.protocolViolation("IDENTIFY_SYSTEM without systemid")
        }
        guard let timeline = system.value("timeline").flatMap({ UInt32($0) }).map({ TimelineID($0) }) else {
            throw BackupError.protocolViolation("IDENTIFY_SYSTEM without timeline")
        }
        let identity = ClusterIdentity(majorVersion: major, systemIdentifier: systemIdentifier)
        try checkRepositoryHolds(identity)
        abortAbandonedUploads(olderThan: request.abandonedUploadSeconds)
        removeKilledBackups()
        let facts = try refusing {
            try connection.query("SELECT setting::bigint, floor(extract(epoch FROM now()))::bigint FROM pg_settings WHERE name = 'wal_segment_size'")
        }
        guard let segmentBytes = facts.values.first?[0].flatMap({ UInt64($0) }),
              let segmentSize = try? WALSegmentSize(bytes: segmentBytes),
              let startSeconds = facts.values.first?[1].flatMap({ Int64($0) }) else {
            throw BackupError.protocolViolation("wal_segment_size \(facts.values)")
        }
        let startTime = UTCTime(secondsSinceEpoch: startSeconds)
        let repositoryID = try repository.state().repositoryID
        let checksum = try BlockChecksum(key: options.key, repositoryID: repositoryID)
        let statement = BaseBackupStatement(label: request.label, checkpoint: request.checkpoint)
        let choice = try BackupTypeChoice(request: request.type, fullEvery: request.fullEverySeconds, catalog: try BackupCatalog(repository: repository).list(),
                                          server: identity, timeline: timeline,
                                          history: try refusing { try connection.timelineHistory(of: timeline) }?.entries ?? [], now: UTCTime.now())
        log.info(choice.reason)
        let names = try relationNames(connection)
        let (plan, stream) = try start(statement, parent: choice.parent, connection: connection, repositoryID: repositoryID, checksum: checksum)
        // A server-side incremental on a parent without block checksums cannot know its own: it records none.
        var sums: BlockSumsWriter? = try BlockSumsWriter(keyID: checksum.keyID)
        if case .summaries(nil)? = plan?.mode {
            sums = nil
            log.info("the parent holds no block checksums, so this backup records none: a later incremental on it needs the server-side way")
        }
        let startSegment = WALSegmentName.segment(containing: stream.startLSN, timeline: stream.startTimeline, segmentSize: segmentSize)
        let name = BackupDescriptor.makeName(startTime: startTime, startSegment: startSegment)
        log.info("backup \(name) started at \(stream.startLSN) on timeline \(stream.startTimeline), about \(stream.estimatedBytes >> 20) MiB")
        let estimate = stream.estimatedBytes
        let progress = onProgress
        stream.onProgress = { progress($0, estimate) }

        let lease = BackupLease.current()
        if let lease {
            _ = try SealedMetadata.store(lease.text, at: BackupLease.key(backup: name), identity: BackupLease.identity(repository: repositoryID, backup: name),
                                         under: options.key, in: repository)
        }
        var stored: [BackupDescriptor.StoredObject] = []
        var archives: [StoredArchive] = []
        var manifestBytes = 0
        do {
            let encoder = try ObjectEncoder(options: options)
            while true {
                switch try refusing({ try stream.nextItem() }) {
                case .archive(let archive, _):
                    let source = StoredArchive(stream, archive: archive, mode: plan?.mode ?? .full, sums: sums, checksum: checksum)
                    defer { source.stopReading() }
                    archives.append(source)
                    stored += try store(source, archive: archive, backup: name, cluster: identity, objectSize: request.objectSize, encoder: encoder)
                case .manifest:
                    let pieces = try store(stream, archive: BackupDescriptor.manifestArchive, backup: name, cluster: identity, objectSize: request.objectSize, encoder: encoder)
                    manifestBytes = pieces.reduce(0) { $0 + $1.rawBytes }
                    stored += pieces
                case .end:
                    let stop = try refusing { try stream.finish() }
                    let stopMicroseconds = try refusing { try connection.query("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint") }
                        .values.first?[0].flatMap { Int64($0) }
                    let stopMoment = stopMicroseconds.map { PostgresTimestamp(unixSeconds: $0 / 1_000_000, microseconds: $0 % 1_000_000) }
                        ?? PostgresTimestamp.now()
                    if let sums {
                        stored += try store(ScratchSource(try sums.finish()), archive: BackupDescriptor.blockSumsArchive, backup: name, cluster: identity,
                                            objectSize: request.objectSize, encoder: encoder)
                    }
                    if let names {
                        let file = try SystemFile.scratch(shownAs: "the relation names of backup \(name)")
                        try file.write(names.bytes)
                        stored += try store(ScratchSource(file), archive: BackupDescriptor.relationNamesArchive, backup: name, cluster: identity,
                                            objectSize: request.objectSize, encoder: encoder)
                    }
                    var descriptor = BackupDescriptor(
                        name: name, label: request.label, startLSN: stream.startLSN, stopLSN: stop.lsn,
                        startTime: startTime, stopTime: stopMoment.utcTime, stopMoment: stopMoment,
                        timeline: stream.startTimeline, stopTimeline: stop.timeline,
                        systemIdentifier: systemIdentifier, serverVersion: connection.serverVersion,
                        segmentSize: segmentSize.bytes,
                        tablespaces: stream.tablespaces.compactMap { tablespace in
                            guard let oid = tablespace.oid, let location = tablespace.location else { return nil }
                            return BackupDescriptor.Tablespace(oid: oid, location: location)
                        },
                        compression: options.compression,
                        cipher: options.key == nil ? "none" : "aes-256-gcm",
                        keyID: options.key?.keyIDHex ?? "",
                        objects: stored, type: plan == nil ? .full : .incremental, parent: plan?.parent.name, detection: plan?.detection,
                        representedBytes: archives.reduce(manifestBytes) { $0 + $1.representedBytes })
                    if let plan {
                        let files = archives.reduce(0) { $0 + $1.incrementalFiles }, blocks = archives.reduce(0) { $0 + $1.changedBlocks }
                        log.info("backup \(name) is incremental on \(plan.parent.name) (\(plan.detection.rawValue)): \(blocks) changed blocks in \(files) relation files, "
                                 + "\(sums.map { "\($0.files - files) relation files stored whole; " } ?? "")\(descriptor.storedBytes >> 20) MiB stored for \(descriptor.fullBytes >> 20) MiB represented")
                    }
                    descriptor.repositoryID = repositoryID
                    if request.waitForWAL {
                        try WALWait(archive: WALArchive(repository: repository, identity: identity), connection: connection,
                                    interruption: interruption, log: log)
                            .waitForBackup(descriptor, segmentSize: segmentSize, timeoutSeconds: request.walTimeoutSeconds)
                    }
                    try BackupCatalog(repository: repository).store(descriptor, options: options)
                    if lease != nil { try? repository.storage.remove(BackupLease.key(backup: name)) }
                    return descriptor
                }
            }
        } catch {
            for object in stored {
                try? repository.storage.remove(BackupDescriptor.objectKey(backup: name, object: object.name))
            }
            if lease != nil { try? repository.storage.remove(BackupLease.key(backup: name)) }
            if case PostgresError.interrupted = error { throw BackupError.interrupted }
            throw error
        }
    }

    /// One archive's bytes into objects "<archive>.0000", "<archive>.0001", ... of at most `objectSize` bytes.
    private func store(_ stream: ArchiveSource, archive: String, backup: String, cluster: ClusterIdentity, objectSize: Int,
                       encoder: ObjectEncoder) throws -> [BackupDescriptor.StoredObject] {
        let repositoryID = try repository.state().repositoryID
        // The reader expects the identity with its own idea of the last piece; the trailer carries the flag.
        return try StoredPieces(repository: repository, encoder: encoder, objectSize: objectSize, log: log,
                                key: { BackupDescriptor.objectKey(backup: backup, object: $0) },
                                identity: { BackupDescriptor.objectIdentity(repository: repositoryID, cluster: cluster, backup: backup, object: $0, lastPiece: false) })
            .store(stream, archive: archive)
    }

    /// What an incremental backup is taken on top of, and how it finds the changes; nil for a full backup.
    struct IncrementalPlan {
        let parent: BackupDescriptor
        let detection: ChangeDetection
        let mode: StoredArchive.Mode
    }

    /// Starts BASE_BACKUP: a full one without a parent; an incremental one on `parent` the server-side way when its
    /// WAL summaries cover the WAL since that backup started, else the block-compare way, saying which and why.
    /// Refused, before anything is stored, when neither way can be taken.
    private func start(_ statement: BaseBackupStatement, parent: BackupDescriptor?, connection: PostgresConnection,
                       repositoryID: String, checksum: BlockChecksum) throws -> (IncrementalPlan?, BaseBackupStream) {
        guard let parent else {
            return (nil, try refusing { try BaseBackupStream(connection: connection, statement: statement, interruption: interruption) })
        }
        let index = parent.hasBlockSums ? try BlockSumsIndex(of: parent, repository: repository) : nil
        let reason: String
        switch try WALSummaryProbe(connection: connection, interruption: interruption).verdict(parent: parent) {
        case .usable:
            do {
                let stream = try IncrementalBaseBackup.start(statement, parent: parent.name, manifest: try parent.manifestSource(in: repository),
                                                             on: connection, interruption: interruption)
                log.info("incremental on \(parent.name) the server-side way: its WAL summaries cover the WAL since that backup started")
                return (IncrementalPlan(parent: parent, detection: .summaries, mode: .summaries(parent: index)), stream)
            } catch BackupError.incrementalRefused(_, let message) {
                reason = "the server refused the server-side way: \(message)"
            }
        case .unusable(let why):
            reason = why
        }
        guard let index else {
            throw BackupError.parentUnusable(backup: parent.name, reason: "it holds no block checksums (taken by an earlier release), and \(reason)")
        }
        let compare: BlockChecksum
        if index.keyID == checksum.keyID {
            compare = checksum
        } else if let key = repository.keyring?.entries.first(where: { $0.idHex == index.keyID })?.key {
            compare = try BlockChecksum(key: key, repositoryID: repositoryID)
        } else {
            throw BackupError.parentUnusable(backup: parent.name, reason: "its block checksums are keyed by key \(index.keyID.isEmpty ? "(none)" : index.keyID), which the key file does not hold")
        }
        log.info("incremental on \(parent.name) by block compare (the server sends everything, only changed blocks are stored): \(reason)")
        let stream = try refusing { try BaseBackupStream(connection: connection, statement: statement, interruption: interruption) }
        return (IncrementalPlan(parent: parent, detection: .blockCompare, mode: .blockCompare(parent: index, compare: compare)), stream)
    }

    /// The names of the server's relation files now (`RelationNames`), nil with a warning when they cannot be read:
    /// `incidents` then shows this backup's tables by relation file, and the backup goes on.
    private func relationNames(_ connection: PostgresConnection) throws -> RelationNames? {
        do {
            return try RelationNames.read(from: connection, log: log)
        } catch PostgresError.interrupted {
            throw BackupError.interrupted
        } catch {
            log.warning("cannot read the names of the server's tables: \(error); incidents will show this backup's tables by relation file")
            return nil
        }
    }

    /// A replication connection: libpq's `replication=database` added to whatever the user gave.
    private func connect(_ conninfo: String) throws -> PostgresConnection {
        let replication: String
        if conninfo.hasPrefix("postgres://") || conninfo.hasPrefix("postgresql://") {
            replication = conninfo + (conninfo.contains("?") ? "&" : "?") + "replication=database"
        } else {
            replication = conninfo + " replication=database"
        }
        do {
            return try PostgresConnection(conninfo: replication)
        } catch PostgresError.cannotConnect(let message) {
            throw BackupError.cannotConnect(message: message)
        }
    }

    /// A server whose WAL is not archived here yet must be one the repository admits (an upgrade,
    /// or one accepted by `accept-cluster`): the same rule as its first wal-push.
    private func checkRepositoryHolds(_ identity: ClusterIdentity) throws {
        let archive = WALArchive(repository: repository, identity: identity)
        if try repository.storage.size(of: archive.infoKey) != nil { return }
        try ClusterAdmission(repository: repository).check(identity)
    }

    /// Aborts what killed backups left on S3 (docs/s3.md, "Interrupted uploads"). It only tidies:
    /// a failure is a warning, and the bucket's lifecycle rule remains the safety net.
    private func abortAbandonedUploads(olderThan seconds: Int) {
        let storage = repository.storage
        let cutoff = UTCTime(secondsSinceEpoch: UTCTime.now().secondsSinceEpoch - Int64(seconds))
        do {
            let abandoned = try storage.abandonedUploads(under: "backups/", startedBefore: cutoff)
            try storage.discard(abandoned)
            for upload in abandoned {
                log.info("discarded the unfinished upload of \(storage.describe(upload.key)), left by an interrupted backup")
            }
        } catch {
            log.warning("cannot look for uploads left by interrupted backups under \(storage.describe("backups/")): \(error); "
                + "on S3 a bucket lifecycle rule that aborts incomplete multipart uploads removes them (docs/s3.md)")
        }
    }

    /// Removes the objects of backups whose `backup-push` was killed on this machine (`BackupLease`): never listed,
    /// they only take space, and their pieces must not be mistaken for anything. A failure is a warning.
    private func removeKilledBackups() {
        let storage = repository.storage
        do {
            var folders: [String: [String]] = [:]
            for key in try storage.list(prefix: BackupDescriptor.folder + "/") {
                let parts = key.split(separator: "/")
                if parts.count == 3 { folders[String(parts[1]), default: []].append(String(parts[2])) }
            }
            let repositoryID = try repository.state().repositoryID
            for (backup, objects) in folders.sorted(by: { $0.key < $1.key })
            where !objects.contains(BackupDescriptor.fileName) && objects.contains(BackupLease.fileName) {
                guard case .sealed(let text, _)? = try SealedMetadata.read(BackupLease.key(backup: backup), identity: BackupLease.identity(repository: repositoryID, backup: backup), in: repository),
                      let lease = BackupLease(text), lease.writerIsGone else { continue }
                // The lease last: while it stands, a later run still knows the folder for what it is.
                try storage.discard(try storage.abandonedUploads(under: BackupDescriptor.folder + "/" + backup, startedBefore: UTCTime(secondsSinceEpoch: UTCTime.now().secondsSinceEpoch + 1)))
                try storage.remove(keys: objects.filter { $0 != BackupLease.fileName }.map { BackupDescriptor.objectKey(backup: backup, object: $0) })
                try storage.remove(BackupLease.key(backup: backup))
                log.info("removed the \(objects.count - 1) objects of backup \(backup), whose backup-push (process \(lease.pid)) was killed before it finished")
            }
        } catch {
            log.warning("cannot look for backups left by killed backup-push runs under \(storage.describe(BackupDescriptor.folder + "/")): \(error)")
        }
    }

    /// Server errors become `BackupError.refused` with the server's message (and a hint).
    private func refusing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch PostgresError.serverError(_, let message, _) {
            throw BackupError.refused(message: message)
        }
    }
}
