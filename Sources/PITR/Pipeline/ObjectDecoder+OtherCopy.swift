import PITRSupport

/// Another stored copy of an object (the second repository's), to decode when the one at hand fails its checks.
public struct OtherCopy {
    /// Its name in messages (`Storage.describe`).
    public let object: String
    public let open: () throws -> ByteSource
    /// Says that the copy was read instead, and why.
    public let warn: (String) -> Void

    public init(object: String, open: @escaping () throws -> ByteSource, warn: @escaping (String) -> Void) {
        self.object = object
        self.open = open
        self.warn = warn
    }
}

extension ObjectDecoder {
    /// Decodes as `decode`; when the object fails a check (tampered, truncated, another key) and `otherCopy` is given,
    /// decodes the other copy instead, with a warning naming both, handing `sink` only the bytes it did not get yet.
    /// Only where what `sink` got is known good: an encrypted object hands on each chunk after its tag checked; a plain
    /// one is checked by its digest at its end, so it falls back only when nothing was handed on. Otherwise, or when
    /// the other copy fails too, the first failure is thrown.
    public func decode(from source: ByteSource, to sink: ByteSink, object: String, identity: ObjectIdentity?,
                       otherCopy: OtherCopy?) throws -> ObjectTrailer {
        guard let otherCopy else { return try decode(from: source, to: sink, object: object, identity: identity) }
        let handed = CountingSink(sink)
        do {
            return try decode(from: source, to: handed, object: object, identity: identity)
        } catch let failure as ObjectFormatError {
            guard handed.count == 0 || (lastHeader.map { $0.cipher != .none } ?? false) else { throw failure }
            let trailer: ObjectTrailer
            do {
                trailer = try decode(from: try otherCopy.open(), to: SkippingSink(sink, skipping: handed.count),
                                     object: otherCopy.object, identity: identity)
            } catch {
                throw failure
            }
            otherCopy.warn("\(failure.description): read from \(otherCopy.object) instead")
            return trailer
        }
    }
}

/// Passes bytes on to another sink after the first `skipping` of them.
final class SkippingSink: ByteSink {
    private let sink: ByteSink
    private var skipping: Int

    init(_ sink: ByteSink, skipping: Int) {
        self.sink = sink
        self.skipping = skipping
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        let skipped = min(skipping, bytes.count)
        skipping -= skipped
        if skipped < bytes.count { try sink.write(UnsafeRawBufferPointer(rebasing: bytes[skipped...])) }
    }
}
