import PITRSupport

/// A sink that keeps what it is given in memory: for small objects such as history files,
/// or one WAL segment being decoded for its records.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    let limit: Int
    let object: String

    /// Refuses to grow past `limit` bytes (`object` names the source in the error). `expectedSize`
    /// is reserved at once (a WAL segment's size): growing by doubling would hold the old and the
    /// new buffer at the same moment.
    public init(limit: Int, object: String, expectedSize: Int = 0) {
        self.limit = limit
        self.object = object
        bytes.reserveCapacity(min(expectedSize, limit))
    }

    public func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard bytes.count + chunk.count <= limit else {
            throw ObjectFormatError.tooLarge(object: object, limit: limit)
        }
        bytes.append(contentsOf: chunk)
    }
}
