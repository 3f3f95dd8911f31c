import PITRBackup
import PITRNative
import PITRSupport

/// The standard output of `pg_dump` or `pg_dumpall`, read through a pipe as it is written (never staged), counted and
/// hashed (SHA-256) on the way: the source the object pipeline stores a dump from.
final class DumpSource: ArchiveSource {
    private let process: SpawnedProcess
    private let hasher: SHA256Hasher
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0
    private var ended = false
    private(set) var bytes = 0

    init(_ process: SpawnedProcess) throws {
        self.process = process
        hasher = try SHA256Hasher()
    }

    func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        guard try hasMoreData() else { return 0 }
        let count = min(target.count, end - start)
        buffer.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + count])) }
        start += count
        return count
    }

    func hasMoreData() throws -> Bool {
        if start < end { return true }
        guard !ended else { return false }
        let count = try buffer.withUnsafeMutableBytes { try process.read(into: $0) }
        start = 0
        end = count
        if count == 0 {
            ended = true
            return false
        }
        bytes += count
        try buffer.withUnsafeBytes { try hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        return true
    }

    /// The SHA-256 of everything read, hex; once the output ended.
    func digest() throws -> String { hex(try hasher.finish()) }
}
