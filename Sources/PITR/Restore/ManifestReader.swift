import PITRNative
import PITRSupport

/// Reads a `backup_manifest` as its bytes arrive (a `ByteSink`), never holding the text or a JSON tree: each file
/// entry goes into a `ManifestFiles` table as it is parsed (`JSONEvents`), the text is hashed line by line for the
/// Manifest-Checksum (the SHA-256 of the text up to and including the newline before the last line, pg_verifybackup's
/// rule; only the last two lines are held), and each piece is copied into `copy` (the restored backup_manifest) on the
/// way. `finish` checks everything `BackupManifest` promises and throws `BackupManifest.Invalid` otherwise.
final class ManifestReader: ByteSink, JSONEventHandler {
    private let copy: ByteSink?
    private lazy var events = JSONEvents(handler: self)
    private let hasher: SHA256Hasher
    /// The last complete line (not hashed yet: it may be the last), and what follows its newline.
    private var heldLine: [UInt8] = []
    private var partialLine: [UInt8] = []
    private var lines = 0

    private var version: JSONValue?
    private var systemIdentifier: JSONValue?
    private var manifestChecksum: JSONValue?
    private var files = ManifestFiles()
    private var sawFiles = false
    private var walRanges: [BackupManifest.WALRange] = []
    /// The first entry that is not a valid file or WAL range, reported after the checksum (a damaged text says that first).
    private var problem: String?

    /// Open containers: 1 in the top object, 2 in a list of it, 3 in an entry of that list.
    private var depth = 0
    private var topKeys: Set<String> = []
    private var topKey = ""
    private var entry: [String: JSONValue]?
    private var entryKey: String?

    init(copy: ByteSink? = nil) throws {
        self.copy = copy
        hasher = try SHA256Hasher()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try copy?.write(bytes)
        try hashLines(bytes)
        do {
            try events.write(bytes)
        } catch let error as JSONValue.Invalid {
            throw BackupManifest.Invalid(reason: "it is not valid JSON: \(error.reason)")
        }
    }

    /// Hashes every line but the last two seen, which are held: the one before the last newline may be the checksum's.
    private func hashLines(_ bytes: UnsafeRawBufferPointer) throws {
        var start = 0
        while start < bytes.count, let base = bytes.baseAddress,
              let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) {
            let end = base.distance(to: UnsafeRawPointer(found)) + 1
            try heldLine.withUnsafeBytes { try hasher.update($0) }
            heldLine.removeAll(keepingCapacity: true)
            swap(&heldLine, &partialLine)
            heldLine.append(contentsOf: bytes[start..<end])
            lines += 1
            start = end
        }
        partialLine.append(contentsOf: bytes[start...])
    }

    /// The manifest, once the whole text was written; throws `BackupManifest.Invalid` saying what is wrong.
    func finish() throws -> BackupManifest {
        guard lines >= 2 else { throw BackupManifest.Invalid(reason: "it has fewer than two lines") }
        guard partialLine.isEmpty else { throw BackupManifest.Invalid(reason: "its last line does not end with a newline") }
        do {
            try events.finish()
        } catch let error as JSONValue.Invalid {
            throw BackupManifest.Invalid(reason: "it is not valid JSON: \(error.reason)")
        }
        guard let version = version?.integer, version == 1 || version == 2 else {
            throw BackupManifest.Invalid(reason: "PostgreSQL-Backup-Manifest-Version is missing or not 1 or 2")
        }
        guard let written = manifestChecksum?.string, let expected = BackupManifest.bytes(hex: written), expected.count == SHA256Hasher.digestSize else {
            throw BackupManifest.Invalid(reason: "Manifest-Checksum is missing or not a SHA-256 in hex")
        }
        let actual = try hasher.finish()
        guard actual == expected else {
            throw BackupManifest.Invalid(reason: "its Manifest-Checksum is \(written) but its text hashes to \(hex(actual))")
        }
        var identifier: UInt64?
        if version >= 2 {
            guard case .number(let digits) = systemIdentifier, let value = UInt64(digits) else {
                throw BackupManifest.Invalid(reason: "version 2 without a System-Identifier")
            }
            identifier = value
        }
        guard sawFiles else { throw BackupManifest.Invalid(reason: "it has no Files list") }
        if let problem { throw BackupManifest.Invalid(reason: problem) }
        if let twice = files.sort() { throw BackupManifest.Invalid(reason: "file \(twice) is listed twice") }
        return BackupManifest(version: version, systemIdentifier: identifier, files: files, walRanges: walRanges)
    }

    // MARK: JSONEventHandler

    func beginObject() throws {
        depth += 1
        if depth == 3, topKey == "Files" || topKey == "WAL-Ranges" { entry = [:] }
    }

    func beginArray() throws {
        depth += 1
        if depth == 2, topKey == "Files" { sawFiles = true }
        if depth == 3 { notAnEntry() }
    }

    func key(_ name: String) throws {
        if depth == 1 {
            guard topKeys.insert(name).inserted else { throw BackupManifest.Invalid(reason: "it lists \(name) twice") }
            topKey = name
        } else if depth == 3, let entry {
            guard entry[name] == nil else { throw BackupManifest.Invalid(reason: "an entry of its \(topKey) list has \(name) twice") }
            entryKey = name
        }
    }

    func scalar(_ value: JSONValue) throws {
        switch depth {
        case 1:
            switch topKey {
            case "PostgreSQL-Backup-Manifest-Version": version = value
            case "System-Identifier": systemIdentifier = value
            case "Manifest-Checksum": manifestChecksum = value
            default: break
            }
        case 2:
            notAnEntry()
        case 3:
            if let entryKey { entry?[entryKey] = value }
            entryKey = nil
        default:
            break
        }
    }

    func endObject() throws {
        if depth == 3, let fields = entry {
            entry = nil
            if topKey == "Files" { addFile(fields) } else { addWALRange(fields) }
        }
        depth -= 1
    }

    func endArray() throws {
        depth -= 1
    }

    /// A Files entry into the table, or the problem with it.
    private func addFile(_ entry: [String: JSONValue]) {
        let path: [UInt8]
        if let plain = entry["Path"]?.string {
            path = Array(plain.utf8)
        } else if let encoded = entry["Encoded-Path"]?.string, let bytes = BackupManifest.bytes(hex: encoded) {
            path = bytes
        } else {
            return noteProblem("a file has neither Path nor a hex Encoded-Path")
        }
        let name = String(decoding: path, as: UTF8.self)
        guard let size = entry["Size"]?.integer, size >= 0 else { return noteProblem("file \(name) has no valid Size") }
        let algorithmName = entry["Checksum-Algorithm"]?.string ?? "NONE"
        guard let algorithm = BackupManifest.ChecksumAlgorithm(rawValue: algorithmName) else {
            return noteProblem("file \(name) has unknown Checksum-Algorithm \(algorithmName)")
        }
        var checksum: [UInt8] = []
        if algorithm != .none {
            guard let written = entry["Checksum"]?.string, let bytes = BackupManifest.bytes(hex: written), !bytes.isEmpty else {
                return noteProblem("file \(name) has no hex Checksum")
            }
            checksum = bytes
        }
        guard files.append(path: path, BackupManifest.File(size: size, algorithm: algorithm, checksum: checksum)) else {
            return noteProblem("file \(name) does not fit: the manifest's paths or checksums pass 4 GiB, or its checksum 255 bytes")
        }
    }

    private func addWALRange(_ range: [String: JSONValue]) {
        guard let timeline = range["Timeline"]?.integer, let start = range["Start-LSN"]?.string, let end = range["End-LSN"]?.string else {
            return noteProblem("a WAL range lacks its Timeline, Start-LSN or End-LSN")
        }
        walRanges.append(BackupManifest.WALRange(timeline: timeline, startLSN: start, endLSN: end))
    }

    /// A value in the Files or WAL-Ranges list that is not an object.
    private func notAnEntry() {
        switch topKey {
        case "Files": noteProblem("a file has neither Path nor a hex Encoded-Path")
        case "WAL-Ranges": noteProblem("a WAL range lacks its Timeline, Start-LSN or End-LSN")
        default: break
        }
    }

    private func noteProblem(_ reason: String) {
        if problem == nil { problem = reason }
    }
}
