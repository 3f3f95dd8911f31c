/// The size of every WAL segment of a cluster, fixed by `initdb --wal-segsize`.
public struct WALSegmentSize: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: UInt64

    public static let minimum: UInt64 = 1 << 20
    public static let maximum: UInt64 = 1 << 30
    /// PostgreSQL's default, 16 MiB.
    public static let standard = WALSegmentSize(unchecked: 16 << 20)

    /// Accepts what initdb accepts: a power of two from 1 MiB to 1 GiB.
    public init(bytes: UInt64) throws {
        guard bytes >= Self.minimum, bytes <= Self.maximum, bytes & (bytes - 1) == 0 else {
            throw WALError.invalidSegmentSize(bytes)
        }
        self.bytes = bytes
    }

    public init(megabytes: Int) throws {
        guard megabytes > 0 else { throw WALError.invalidSegmentSize(0) }
        try self.init(bytes: UInt64(megabytes) << 20)
    }

    private init(unchecked bytes: UInt64) { self.bytes = bytes }

    /// Segments per 4 GiB "xlogid": the range of the low 8 hex digits of a segment name.
    public var segmentsPerXLogID: UInt64 { (1 << 32) / bytes }

    public var description: String { "\(bytes >> 20) MiB" }

    public static func < (a: WALSegmentSize, b: WALSegmentSize) -> Bool { a.bytes < b.bytes }
}
