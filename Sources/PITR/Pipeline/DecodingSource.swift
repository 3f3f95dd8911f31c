import PITRSupport

/// The original bytes of stored objects, decoded one after another, as a `ByteSource` a reader pulls from (a
/// backup's manifest sent to the server), where `ObjectDecoder` pushes into a sink. The objects are decoded on a
/// thread of this source's own into two buffers (`BlockQueue`), so memory stays bounded whatever their size.
///
/// Each object is checked as `ObjectDecoder.decode` checks it, and its size against `Part.size`; a failure is thrown
/// by `read`. Bytes are handed over as they are decoded (an encrypted object's chunks each authenticated first, a plain
/// object's digest known at its end), but `read` returns 0 only after every object passed every check: a reader that
/// acts on the end of the stream acts only on authenticated bytes. The parts are opened and read on the source's
/// thread: until `read` returned 0 or threw, or `close` returned, the caller must not use their storage itself.
public final class DecodingSource: ByteSource {
    /// One stored object.
    public struct Part {
        /// The object's name in errors (`Storage.describe`).
        public let object: String
        /// What a format 2 object must be bound to (`ObjectDecoder.decode`).
        public let identity: ObjectIdentity?
        /// The original size that what lists the object records; nil to accept the trailer's.
        public let size: Int?
        /// Opens the stored object; called on the source's thread.
        public let open: () throws -> ByteSource
        /// Another copy, decoded when this one fails its checks (`ObjectDecoder.decode(...otherCopy:)`).
        public let otherCopy: OtherCopy?

        public init(object: String, identity: ObjectIdentity?, size: Int?, otherCopy: OtherCopy? = nil, open: @escaping () throws -> ByteSource) {
            self.object = object
            self.identity = identity
            self.size = size
            self.otherCopy = otherCopy
            self.open = open
        }
    }

    private let queue = BlockQueue(blockSize: 256 << 10, blockCount: 2)
    /// The decoding thread's failure, read once the queue has nothing more to give. The thread holds it and the
    /// queue, not the source, so a source released unclosed still stops it (`deinit`).
    private let outcome = Outcome()
    private var thread: WorkerThread?
    /// The filled buffer being read and how far.
    private var current: (index: Int, count: Int)?
    private var offset = 0

    /// Starts decoding `parts` in order with the keys of `keyring` (nil for plain objects).
    public init(keyring: Keyring?, parts: [Part]) throws {
        queue.reset()
        let queue = self.queue, outcome = self.outcome
        thread = try WorkerThread("decoding \(parts.first?.object ?? "nothing")") {
            do {
                let decoder = ObjectDecoder(keyring: keyring)
                let sink = QueueSink(queue)
                for part in parts {
                    let trailer = try decoder.decode(from: try part.open(), to: sink, object: part.object, identity: part.identity,
                                                     otherCopy: part.otherCopy)
                    if let size = part.size, trailer.originalSize != size {
                        throw ObjectFormatError.listedSizeMismatch(object: part.object, listed: size, actual: trailer.originalSize)
                    }
                }
                sink.filler.submitPartial()
                queue.end()
            } catch {
                outcome.fail(error)
                queue.abort()
            }
        }
    }

    deinit { close() }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if let block = current {
                if offset < block.count {
                    let count = min(buffer.count, block.count - offset)
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: queue.buffer(block.index)[offset..<offset + count]))
                    offset += count
                    return count
                }
                queue.recycle(block.index)
                current = nil
            }
            guard let next = queue.takeFilled() else {
                if let failure = outcome.failure { throw failure }
                return 0
            }
            current = next
            offset = 0
        }
    }

    /// Stops decoding (what is left is not read) and waits for the thread; idempotent.
    public func close() {
        guard let thread else { return }
        queue.abort()
        thread.join()
        self.thread = nil
    }
}

/// The first error of the decoding thread.
private final class Outcome: @unchecked Sendable {
    private let lock = ConditionLock()
    private var error: Error?

    var failure: Error? { lock.locked { error } }

    func fail(_ error: Error) {
        lock.locked { if self.error == nil { self.error = error } }
    }
}

/// What the decoder writes to: copies into the queue's free buffers, handing each over when full.
private final class QueueSink: ByteSink {
    let filler: BlockFiller

    init(_ queue: BlockQueue) { filler = BlockFiller(queue) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            offset += try filler.fill { space in
                let count = min(space.count, bytes.count - offset)
                space.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
                return count
            }
        }
    }
}
