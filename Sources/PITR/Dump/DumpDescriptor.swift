import PITRBackup
import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport

/// One finished logical dump: `dumps/<name>/<archive>.info`, written last, so that its presence means the dump is
/// complete (docs/format.md, "Dumps"). A `dump-push` run is named by its start (`<name>`) and holds one dump per
/// database (`pg_dump -Fc`, archive `db.<database>`) and one of the roles and tablespaces (`pg_dumpall
/// --globals-only`, archive `globals`). Every object is written once and sealed, so a copy elsewhere stays valid.
public struct DumpDescriptor: Equatable, Sendable {
    /// The run: "20261206T154500Z".
    public let name: String
    /// The database dumped; nil for the globals (roles and tablespaces).
    public let database: String?
    public let startTime: UTCTime
    public let stopTime: UTCTime
    /// server_version_num, such as 150014.
    public let serverVersion: Int
    /// What made it, as the program says: "pg_dump (PostgreSQL) 15.14".
    public let tool: String
    public let compression: Compression
    /// "none" or "aes-256-gcm".
    public let cipher: String
    public let keyID: String
    /// SHA-256 of the dump's bytes (what `dump-fetch` writes), hex; sealed with the descriptor.
    public let sha256: String
    /// The pieces, in order.
    public let objects: [BackupDescriptor.StoredObject]
    /// The id of the repository the descriptor was read from, bound into its pieces' identities (`DumpCatalog` sets it).
    package internal(set) var repositoryID = ""

    public var rawBytes: Int { objects.reduce(0) { $0 + $1.rawBytes } }
    public var storedBytes: Int { objects.reduce(0) { $0 + $1.storedBytes } }
    /// The custom-format archive of `pg_dump` or the SQL script of `pg_dumpall`.
    public var isCustomFormat: Bool { database != nil }

    package static let folder = "dumps"
    static let suffix = ".info"
    static let globalsArchive = "globals"

    /// "db.<database>", bytes other than letters, digits, '_' and '-' written %XX; "globals" for the globals.
    public var archive: String { database.map(Self.archive(of:)) ?? Self.globalsArchive }

    static func archive(of database: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-".utf8)
        return "db." + database.utf8.map { plain.contains($0) ? String(UnicodeScalar($0)) : "%" + Hex.format($0, width: 2) }.joined()
    }

    package static func key(run: String, archive: String) -> String { "\(folder)/\(run)/\(archive)\(suffix)" }
    package static func objectKey(run: String, object: String) -> String { "\(folder)/\(run)/\(object)" }
    package var key: String { Self.key(run: name, archive: archive) }

    /// What a piece is bound to: its repository, run and name (archive and index), and whether it is the last.
    static func objectIdentity(repository: String, run: String, object: String, lastPiece: Bool) -> ObjectIdentity {
        ObjectIdentity(["repository": repository, "dump": run, "object": object], lastPiece: lastPiece)
    }

    static func descriptorIdentity(repository: String, run: String, archive: String) -> ObjectIdentity {
        ObjectIdentity(["repository": repository, "dump": run, "file": archive + suffix])
    }

    package func objectIdentity(of object: BackupDescriptor.StoredObject) -> ObjectIdentity {
        Self.objectIdentity(repository: repositoryID, run: name, object: object.name, lastPiece: objects.last?.name == object.name)
    }

    /// The dump's bytes as a `ByteSource`: its pieces decoded in order, each bound to its place and of the size listed,
    /// then checked against `sha256` at the end (`DumpReader`). The descriptor must come from `DumpCatalog`.
    /// Its objects as the repository lists them (their sizes and storage classes): one listing of its run's folder.
    public func storedObjects(in repository: Repository) throws -> [StoredObject] {
        let keys = Set(objects.map { Self.objectKey(run: name, object: $0.name) })
        return try repository.storage.listObjects(prefix: Self.objectKey(run: name, object: "")).filter { keys.contains($0.key) }
    }

    public func reader(in repository: Repository) throws -> DumpReader {
        let storage = repository.storage
        let parts = objects.map { piece in
            let key = Self.objectKey(run: name, object: piece.name)
            return DecodingSource.Part(object: storage.describe(key), identity: objectIdentity(of: piece), size: piece.rawBytes,
                                       otherCopy: repository.otherCopy(of: key)) {
                try storage.openForReading(key)
            }
        }
        return try DumpReader(DecodingSource(keyring: repository.keyring, parts: parts), descriptor: self)
    }

    var text: MetadataText {
        var lines: [(key: String, value: String)] = [("format", "1"), ("name", name)]
        if let database { lines.append(("database", database)) }
        lines += [
            ("start-time", startTime.iso8601),
            ("stop-time", stopTime.iso8601),
            ("pg-version", String(serverVersion)),
            ("tool", tool),
            ("compression", compression.rawValue),
            ("cipher", cipher),
            ("key-id", keyID),
            ("sha256", sha256),
            ("raw-bytes", String(rawBytes)),
            ("stored-bytes", String(storedBytes)),
        ]
        for object in objects {
            lines.append(("object", "\(object.name) \(object.rawBytes) \(object.storedBytes)"))
        }
        return MetadataText(lines)
    }

    init(name: String, database: String?, startTime: UTCTime, stopTime: UTCTime, serverVersion: Int, tool: String,
         compression: Compression, cipher: String, keyID: String, sha256: String, objects: [BackupDescriptor.StoredObject]) {
        self.name = name
        self.database = database
        self.startTime = startTime
        self.stopTime = stopTime
        self.serverVersion = serverVersion
        self.tool = tool
        self.compression = compression
        self.cipher = cipher
        self.keyID = keyID
        self.sha256 = sha256
        self.objects = objects
    }

    init(text: MetadataText, object: String) throws {
        func field(_ key: String) throws -> String {
            guard let value = text[key] else { throw DumpError.unreadableDescriptor(object: object, reason: "no \(key)") }
            return value
        }
        guard text["format"] == "1" else {
            throw DumpError.unreadableDescriptor(object: object, reason: "format \(text["format"] ?? "missing") is not 1")
        }
        guard let start = UTCTime(iso8601: try field("start-time")), let stop = UTCTime(iso8601: try field("stop-time")) else {
            throw DumpError.unreadableDescriptor(object: object, reason: "bad start-time or stop-time")
        }
        guard let version = Int(try field("pg-version")), let compression = Compression(rawValue: try field("compression")) else {
            throw DumpError.unreadableDescriptor(object: object, reason: "bad pg-version or compression")
        }
        var objects: [BackupDescriptor.StoredObject] = []
        let database = text["database"]
        for value in text.all("object") {
            let parts = value.split(separator: " ")
            guard parts.count == 3, let raw = Int(parts[1]), let stored = Int(parts[2]) else {
                throw DumpError.unreadableDescriptor(object: object, reason: "bad object line '\(value)'")
            }
            objects.append(.init(name: String(parts[0]), archive: database.map(Self.archive(of:)) ?? Self.globalsArchive, rawBytes: raw, storedBytes: stored))
        }
        self.init(name: try field("name"), database: database, startTime: start, stopTime: stop, serverVersion: version,
                  tool: try field("tool"), compression: compression, cipher: try field("cipher"), keyID: text["key-id"] ?? "",
                  sha256: try field("sha256"), objects: objects)
    }
}
