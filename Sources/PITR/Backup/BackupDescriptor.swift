import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// Whether a backup holds every file whole, or only what changed since its parent (docs/format.md, "Incremental backups").
public enum BackupType: String, CaseIterable, Sendable {
    case full
    case incremental
}

/// How an incremental backup found what changed since its parent.
public enum ChangeDetection: String, Sendable {
    /// The server's WAL summaries (PostgreSQL 17 and later, `summarize_wal`): BASE_BACKUP ... INCREMENTAL.
    case summaries
    /// A full stream from the server compared block by block with the parent's block checksums.
    case blockCompare = "block-compare"
}

/// What a finished backup holds and how to restore it: `backups/<name>/backup.info`, written last,
/// so that its presence means the backup is complete (docs/format.md, "Backups").
public struct BackupDescriptor: Equatable, Sendable {
    /// One stored object of a backup: a bounded-size piece of an archive, or the manifest.
    public struct StoredObject: Equatable, Sendable {
        /// The object's name inside the backup's folder, such as "base.tar.0000".
        public let name: String
        /// The archive it belongs to ("base.tar", "16385.tar", "backup_manifest").
        public let archive: String
        public let rawBytes: Int
        public let storedBytes: Int

        package init(name: String, archive: String, rawBytes: Int, storedBytes: Int) {
            self.name = name
            self.archive = archive
            self.rawBytes = rawBytes
            self.storedBytes = storedBytes
        }
    }

    public struct Tablespace: Equatable, Sendable {
        public let oid: UInt32
        public let location: String
    }

    public let name: String
    public let label: String
    public let startLSN: LSN
    public let stopLSN: LSN
    public let startTime: UTCTime
    public let stopTime: UTCTime
    /// The server's clock right after the backup ended, to the microsecond: every commit the backup
    /// holds is older. Nil in descriptors written before it was recorded (`stopTime` only).
    public let stopMoment: PostgresTimestamp?
    public let timeline: TimelineID
    public let stopTimeline: TimelineID
    public let systemIdentifier: UInt64
    /// server_version_num, such as 150004.
    public let serverVersion: Int
    public let segmentSize: UInt64
    public let tablespaces: [Tablespace]
    public let compression: Compression
    /// "none" or "aes-256-gcm".
    public let cipher: String
    /// The repository key's id, empty without encryption.
    public let keyID: String
    /// The tar pieces in restore order (each archive's pieces are concatenated), then the manifest, then the block
    /// checksums (`blocksums`; none in backups of earlier releases), then the relation names (`relation-names`; the same).
    public let objects: [StoredObject]
    public internal(set) var type: BackupType = .full
    /// The backup an incremental holds the changes since; nil for a full backup.
    public internal(set) var parent: String?
    /// How an incremental found its changes; nil for a full backup.
    public internal(set) var detection: ChangeDetection?
    /// The bytes of the backup's archives as a full backup would hold them (what a restore writes); an incremental's
    /// archives hold only what changed. Nil in descriptors of earlier releases: their archives are full.
    public internal(set) var representedBytes: Int?
    /// Stored as an object of format 2, bound to its backup (docs/format.md), as every descriptor is since
    /// format 2; false for one stored as plain text by an earlier release, whose pieces must then be of format 1.
    public internal(set) var isObject = true
    /// The id of the repository the descriptor was read from, bound into its pieces' identities (`BackupCatalog` sets it).
    package internal(set) var repositoryID = ""

    public var rawBytes: Int { objects.reduce(0) { $0 + $1.rawBytes } }
    /// The bytes a restore of this backup writes: the archives and manifest as a full backup would hold them.
    public var fullBytes: Int { representedBytes ?? objects.filter { !Self.unrestoredArchives.contains($0.archive) }.reduce(0) { $0 + $1.rawBytes } }
    /// The archive of per-block checksums that a block-compare incremental on top of this backup compares with.
    package static let blockSumsArchive = "blocksums"
    /// The names relation files had when the backup started (`RelationNames`), for `incidents`.
    package static let relationNamesArchive = "relation-names"
    /// The archives that are the backup's own records rather than the server's files: a restore writes none of them.
    package static let unrestoredArchives: Set<String> = [blockSumsArchive, relationNamesArchive]
    public var hasBlockSums: Bool { objects.contains { $0.archive == Self.blockSumsArchive } }
    public var storedBytes: Int { objects.reduce(0) { $0 + $1.storedBytes } }
    public var identity: ClusterIdentity { ClusterIdentity(majorVersion: PostgreSQLMajor.major(serverVersion: serverVersion), systemIdentifier: systemIdentifier) }

    static let fileName = "backup.info"
    package static let folder = "backups"
    package static func key(of name: String) -> String { "\(folder)/\(name)/\(fileName)" }
    package static func objectKey(backup: String, object: String) -> String { "\(folder)/\(backup)/\(object)" }

    /// What a piece is bound to (format 2): its cluster, backup and name (archive and index), and whether it is
    /// the last piece of its archive, so that a piece copied into another backup, reordered or dropped is refused.
    package static func objectIdentity(repository: String, cluster: ClusterIdentity, backup: String, object: String,
                                       lastPiece: Bool) -> ObjectIdentity {
        ObjectIdentity(["repository": repository, "cluster": cluster.archiveID, "backup": backup, "object": object], lastPiece: lastPiece)
    }

    /// What the descriptor object of backup `name` is bound to.
    static func descriptorIdentity(repository: String, backup name: String) -> ObjectIdentity {
        ObjectIdentity(["repository": repository, "backup": name, "file": fileName])
    }

    /// The identity a reader expects of `object`, one of this backup's pieces; nil for a descriptor stored as plain
    /// text (format 1), whose pieces carry none: a format 2 piece listed there is refused, as the text was replaced.
    package func objectIdentity(of object: StoredObject) -> ObjectIdentity? {
        guard isObject else { return nil }
        let last = objects.last { $0.archive == object.archive }
        return BackupDescriptor.objectIdentity(repository: repositoryID, cluster: identity, backup: name, object: object.name, lastPiece: last?.name == object.name)
    }

    /// "20261127T010203Z-000000010000000000000002": sorts by start time; the start segment makes it unique per cluster.
    static func makeName(startTime: UTCTime, startSegment: WALSegmentName) -> String {
        startTime.compact + "-" + startSegment.fileName
    }

    var text: MetadataText {
        // Format 2: backups with block checksums and incrementals, which earlier releases (format 1) must refuse.
        var lines: [(key: String, value: String)] = [
            ("format", "2"),
            ("name", name),
            ("label", label),
            ("start-lsn", startLSN.description),
            ("stop-lsn", stopLSN.description),
            ("start-time", startTime.iso8601),
            ("stop-time", stopTime.iso8601),
        ]
        if let stopMoment {
            lines.append(("stop-moment", stopMoment.description))
        }
        lines += [
            ("timeline", String(timeline.rawValue)),
            ("stop-timeline", String(stopTimeline.rawValue)),
            ("system-identifier", String(systemIdentifier)),
            ("pg-version", String(serverVersion)),
            ("segment-size", String(segmentSize)),
            ("compression", compression.rawValue),
            ("cipher", cipher),
            ("key-id", keyID),
            ("raw-bytes", String(rawBytes)),
            ("stored-bytes", String(storedBytes)),
            ("type", type.rawValue),
        ]
        if let parent { lines.append(("parent", parent)) }
        if let detection { lines.append(("detection", detection.rawValue)) }
        if let representedBytes { lines.append(("represented-bytes", String(representedBytes))) }
        for tablespace in tablespaces {
            lines.append(("tablespace", "\(tablespace.oid) \(tablespace.location)"))
        }
        for object in objects {
            lines.append(("object", "\(object.name) \(object.archive) \(object.rawBytes) \(object.storedBytes)"))
        }
        return MetadataText(lines)
    }

    init(name: String, label: String, startLSN: LSN, stopLSN: LSN, startTime: UTCTime, stopTime: UTCTime,
         stopMoment: PostgresTimestamp? = nil, timeline: TimelineID, stopTimeline: TimelineID, systemIdentifier: UInt64, serverVersion: Int,
         segmentSize: UInt64, tablespaces: [Tablespace], compression: Compression, cipher: String,
         keyID: String, objects: [StoredObject], type: BackupType = .full, parent: String? = nil, detection: ChangeDetection? = nil,
         representedBytes: Int? = nil) {
        self.name = name
        self.label = label
        self.startLSN = startLSN
        self.stopLSN = stopLSN
        self.startTime = startTime
        self.stopTime = stopTime
        self.stopMoment = stopMoment
        self.timeline = timeline
        self.stopTimeline = stopTimeline
        self.systemIdentifier = systemIdentifier
        self.serverVersion = serverVersion
        self.segmentSize = segmentSize
        self.tablespaces = tablespaces
        self.compression = compression
        self.cipher = cipher
        self.keyID = keyID
        self.objects = objects
        self.type = type
        self.parent = parent
        self.detection = detection
        self.representedBytes = representedBytes
    }

    init(parsing bytes: [UInt8], object: String) throws {
        try self.init(text: try MetadataText(parsing: bytes, object: object), object: object)
    }

    init(text: MetadataText, object: String) throws {
        func field(_ key: String) throws -> String {
            guard let value = text[key] else { throw BackupError.unreadableDescriptor(object: object, reason: "no \(key)") }
            return value
        }
        func number<T: FixedWidthInteger>(_ key: String) throws -> T {
            guard let value = T(try field(key)) else { throw BackupError.unreadableDescriptor(object: object, reason: "\(key) is not a number") }
            return value
        }
        guard text["format"] == "1" || text["format"] == "2" else {
            throw BackupError.unreadableDescriptor(object: object, reason: "format \(text["format"] ?? "missing") is not 1 or 2")
        }
        do {
            name = try field("name")
            label = try field("label")
            startLSN = try LSN(parsing: try field("start-lsn"))
            stopLSN = try LSN(parsing: try field("stop-lsn"))
        } catch let error as BackupError {
            throw error
        } catch {
            throw BackupError.unreadableDescriptor(object: object, reason: "\(error)")
        }
        guard let start = UTCTime(iso8601: try field("start-time")), let stop = UTCTime(iso8601: try field("stop-time")) else {
            throw BackupError.unreadableDescriptor(object: object, reason: "bad start-time or stop-time")
        }
        startTime = start
        stopTime = stop
        stopMoment = try text["stop-moment"].map { text in
            do { return try PostgresTimestamp(parsing: text) } catch {
                throw BackupError.unreadableDescriptor(object: object, reason: "bad stop-moment '\(text)'")
            }
        }
        timeline = TimelineID(try number("timeline") as UInt32)
        stopTimeline = TimelineID(try number("stop-timeline") as UInt32)
        systemIdentifier = try number("system-identifier")
        serverVersion = try number("pg-version")
        segmentSize = try number("segment-size")
        guard let compression = Compression(rawValue: try field("compression")) else {
            throw BackupError.unreadableDescriptor(object: object, reason: "unknown compression")
        }
        self.compression = compression
        cipher = try field("cipher")
        keyID = text["key-id"] ?? ""
        var tablespaces: [Tablespace] = []
        var objects: [StoredObject] = []
        for (key, value) in text.values {
            if key == "tablespace" {
                let parts = value.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let oid = UInt32(parts[0]) else {
                    throw BackupError.unreadableDescriptor(object: object, reason: "bad tablespace line '\(value)'")
                }
                tablespaces.append(Tablespace(oid: oid, location: String(parts[1])))
            } else if key == "object" {
                let parts = value.split(separator: " ")
                guard parts.count == 4, let raw = Int(parts[2]), let stored = Int(parts[3]) else {
                    throw BackupError.unreadableDescriptor(object: object, reason: "bad object line '\(value)'")
                }
                objects.append(StoredObject(name: String(parts[0]), archive: String(parts[1]), rawBytes: raw, storedBytes: stored))
            }
        }
        self.tablespaces = tablespaces
        self.objects = objects
        if let typeText = text["type"] {
            guard let type = BackupType(rawValue: typeText) else { throw BackupError.unreadableDescriptor(object: object, reason: "unknown type '\(typeText)'") }
            self.type = type
        }
        parent = text["parent"]
        if let detectionText = text["detection"] {
            guard let detection = ChangeDetection(rawValue: detectionText) else {
                throw BackupError.unreadableDescriptor(object: object, reason: "unknown detection '\(detectionText)'")
            }
            self.detection = detection
        }
        representedBytes = try text["represented-bytes"].map { _ in try number("represented-bytes") as Int }
        guard (type == .incremental) == (parent != nil), (type == .incremental) == (detection != nil) else {
            throw BackupError.unreadableDescriptor(object: object, reason: "an incremental backup names its parent and detection, a full one neither")
        }
    }
}
