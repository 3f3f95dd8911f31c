import PITRSupport

/// The identifying fields at the start of a data directory's `global/pg_control`
/// (ControlFileData), read in the server's native byte order like the WAL page header.
public struct PGControl: Hashable, Sendable {
    /// Bytes needed for the three fields read here.
    public static let minimumSize = 16
    /// PG_CONTROL_VERSION is 1002 in PostgreSQL 10, 1300 in 13 to 16, 1700 in 17 and 1800 in 18
    /// (`PostgreSQLMajor` checks it against the major);
    /// anything outside this range is a corrupt or byte-swapped file.
    public static let plausibleVersions: ClosedRange<UInt32> = 1000...9999

    /// Chosen at initdb and stamped into every WAL segment's long page header.
    public let systemIdentifier: UInt64
    public let controlVersion: UInt32
    public let catalogVersion: UInt32

    /// Decodes the start of pg_control; `file` names it in errors.
    public init(bytes: [UInt8], file: String) throws {
        guard bytes.count >= Self.minimumSize else {
            throw WALError.controlFileTooShort(file: file, bytes: bytes.count)
        }
        let (system, control, catalog) = bytes.withUnsafeBytes {
            ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
             $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self),
             $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        }
        guard Self.plausibleVersions.contains(control) else {
            throw WALError.implausibleControlVersion(file: file, version: control)
        }
        systemIdentifier = system
        controlVersion = control
        catalogVersion = catalog
    }

    /// Reads `<dataDirectory>/global/pg_control`.
    public static func read(dataDirectory: String) throws -> PGControl {
        let path = dataDirectory + "/global/pg_control"
        let file = try SystemFile.openForReading(path)
        var buffer = [UInt8](repeating: 0, count: minimumSize)
        let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        return try PGControl(bytes: Array(buffer[..<count]), file: path)
    }
}
