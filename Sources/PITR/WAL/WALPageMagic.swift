/// XLOG_PAGE_MAGIC, the first two bytes of every WAL page, changes whenever a major
/// version changes the WAL format, so it tells which major version wrote a file.
/// Values from src/include/access/xlog_internal.h of each release branch (15 checked
/// against a segment written by initdb 15).
public enum WALPageMagic {
    static let byMajorVersion: [(major: Int, magic: UInt16)] = [
        (13, 0xD106),
        (14, 0xD10D),
        (15, 0xD110),
        (16, 0xD113),
        (17, 0xD116),
    ]

    /// The major versions whose WAL this tool understands.
    public static let supportedMajorVersions: ClosedRange<Int> = 13...17

    public static func majorVersion(forMagic magic: UInt16) -> Int? {
        byMajorVersion.first { $0.magic == magic }?.major
    }

    public static func magic(forMajorVersion major: Int) -> UInt16? {
        byMajorVersion.first { $0.major == major }?.magic
    }
}
