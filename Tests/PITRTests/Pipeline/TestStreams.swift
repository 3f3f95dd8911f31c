@testable import PITRPipeline
@testable import PITRSupport

extension MemorySink {
    /// The library's sink without its size limit: test objects are small.
    convenience init() { self.init(limit: .max, object: "test output") }
}

struct TestFailure: Error, Equatable {}

/// A source that fails after `after` bytes, for error propagation from the reader thread.
final class FailingSource: ByteSource {
    private var remaining: Int
    init(after: Int) { remaining = after }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0 else { throw TestFailure() }
        let n = min(remaining, buffer.count, 4096)
        for i in 0..<n { buffer[i] = UInt8(truncatingIfNeeded: i) }
        remaining -= n
        return n
    }
}

final class FailingSink: ByteSink {
    private var remaining: Int
    init(after: Int) { remaining = after }
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        remaining -= bytes.count
        if remaining < 0 { throw TestFailure() }
    }
}

/// Half compressible text-like runs, half pseudo-random bytes, deterministic per seed.
func mixedData(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var result = [UInt8]()
    result.reserveCapacity(count)
    let phrase = Array("SELECT * FROM accounts WHERE id = 42; INSERT INTO audit VALUES (now()); ".utf8)
    while result.count < count {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        let run = Int(state % 4096) + 1
        if state & 1 == 0 {
            for i in 0..<run where result.count < count { result.append(phrase[i % phrase.count]) }
        } else {
            for _ in 0..<run where result.count < count {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                result.append(UInt8(truncatingIfNeeded: state))
            }
        }
    }
    return result
}

extension ObjectIdentity {
    /// The identity the pipeline's own tests bind their objects to.
    static let test = ObjectIdentity(["file": "test"])
}
