/// The PostgreSQL majors this build knows, and what tells each apart on disk: XLOG_PAGE_MAGIC, the first two
/// bytes of every WAL page (src/include/access/xlog_internal.h), and PG_CONTROL_VERSION, the second field of
/// global/pg_control (src/include/catalog/pg_control.h). Each value was read from files written by that major's
/// initdb (15.18, 16.2, 17.10, 18.6). Anything else, older or newer, is refused by name, never guessed at.
/// Adding a major: docs/architecture.md.
public enum PostgreSQLMajor {
    static let known: [(major: Int, pageMagic: UInt16, controlVersion: UInt32)] = [
        (15, 0xD110, 1300),
        (16, 0xD113, 1300),
        (17, 0xD116, 1700),
        (18, 0xD118, 1800),
    ]

    /// The majors whose WAL, pg_control and backups this tool reads and writes.
    public static let supported: ClosedRange<Int> = 15...18

    /// "PostgreSQL 15 to 18", for error messages.
    public static var supportedRange: String { "PostgreSQL \(supported.lowerBound) to \(supported.upperBound)" }

    /// The major of a `server_version_num` (180006 is 18).
    public static func major(serverVersion: Int) -> Int {
        serverVersion / 10000
    }

    public static func major(forPageMagic magic: UInt16) -> Int? {
        known.first { $0.pageMagic == magic }?.major
    }

    public static func pageMagic(of major: Int) -> UInt16? {
        known.first { $0.major == major }?.pageMagic
    }

    public static func controlVersion(of major: Int) -> UInt32? {
        known.first { $0.major == major }?.controlVersion
    }

    /// Returns `major` when this build supports it; else throws `unsupportedMajorVersion` naming `source`
    /// (the file, backup or server the version came from) and the supported range.
    @discardableResult
    public static func require(_ major: Int, from source: String) throws -> Int {
        guard supported.contains(major) else { throw WALError.unsupportedMajorVersion(major, source: source) }
        return major
    }
}
