import PITRSupport

/// The long page header at the start of every WAL segment (XLogLongPageHeaderData).
///
/// PostgreSQL writes it in the server's native byte order; this tool reads it in the
/// native order too, which on x86_64 and arm64 Linux is little-endian. A segment copied
/// from a big-endian server would show an unknown magic and be refused.
public struct WALPageHeader: Hashable, Sendable {
    /// Bytes of the long header: the 24-byte short header (with padding) plus 16.
    public static let longHeaderSize = 40
    /// XLP_LONG_HEADER in xlp_info: set on the first page of each segment.
    public static let longHeaderFlag: UInt16 = 0x0002

    public let magic: UInt16
    public let info: UInt16
    /// Timeline of the first record on the page (xlp_tli).
    public let timeline: TimelineID
    /// WAL address of the page (xlp_pageaddr).
    public let pageAddress: LSN
    /// Bytes of a record continued from the previous segment (xlp_rem_len).
    public let remainingLength: UInt32
    /// Valid only when `isLong`.
    public let systemIdentifier: UInt64
    /// Valid only when `isLong`; raw, as it may be garbage in a corrupt file.
    public let segmentSizeBytes: UInt32
    /// Valid only when `isLong`.
    public let blockSize: UInt32

    public var isLong: Bool { info & Self.longHeaderFlag != 0 }

    /// The major version whose WAL format `magic` denotes, if known.
    public var majorVersion: Int? { PostgreSQLMajor.major(forPageMagic: magic) }

    /// Decodes the first `longHeaderSize` bytes of a segment; `file` names it in errors.
    public init(bytes: UnsafeRawBufferPointer, file: String) throws {
        guard bytes.count >= Self.longHeaderSize else {
            throw WALError.headerTooShort(file: file, bytes: bytes.count)
        }
        magic = bytes.loadUnaligned(fromByteOffset: 0, as: UInt16.self)
        info = bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
        timeline = TimelineID(bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        pageAddress = LSN(bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        remainingLength = bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
        systemIdentifier = bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        segmentSizeBytes = bytes.loadUnaligned(fromByteOffset: 32, as: UInt32.self)
        blockSize = bytes.loadUnaligned(fromByteOffset: 36, as: UInt32.self)
    }

    public init(bytes: [UInt8], file: String) throws {
        self = try bytes.withUnsafeBytes { try WALPageHeader(bytes: $0, file: file) }
    }

    /// Reads the header from the start of an open file.
    public init(reading file: SystemFile) throws {
        var buffer = [UInt8](repeating: 0, count: Self.longHeaderSize)
        let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        self = try buffer.withUnsafeBytes {
            try WALPageHeader(bytes: UnsafeRawBufferPointer(rebasing: $0[..<count]), file: file.path)
        }
    }
}
