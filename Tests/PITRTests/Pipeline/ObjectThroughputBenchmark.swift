import Testing
@testable import PITRPipeline
@testable import PITRRetention
@testable import PITRSupport

/// Prints encode/decode throughput for a 16 MiB segment, file to file (page cache).
/// Input: the file named by TAILTOWN_BENCH_WAL (e.g. a real WAL segment), else mixed data.
/// A benchmark, not a test: `make test` skips every `Benchmark`, `make bench` (section micro) runs them in a release build.
@Suite struct ObjectThroughputBenchmark {
    @Test func printThroughput() throws {
        let folder = "/tmp/tailtown-throughput-\(getpid())"
        try FileSystem.makeDirectories(folder)
        defer {
            for name in (try? FileSystem.list(folder)) ?? [] { try? FileSystem.remove(folder + "/" + name) }
            rmdir(folder)
        }
        let input: String
        if let given = getenv("TAILTOWN_BENCH_WAL"), given.pointee != 0 {
            input = String(cString: given)
        } else {
            input = folder + "/input"
            try FileSystem.remove(input)
            try SystemFile.createExclusive(input).write(mixedData(count: 16 << 20, seed: 3))
        }
        let size = try FileSystem.size(input) ?? 0
        let key = MasterKey(bytes: Array(0..<32))
        let rounds = 3

        let hashSeconds = try best(rounds) { _ = try FileDigest.compute(file: SystemFile.openForReading(input), key: nil, identity: nil) }
        let streamSeconds = try best(rounds) {
            let digest = try OriginalDigest(key: nil)
            try SystemFile.openForReading(input).withMappedBytes { try digest.update($0) }
            _ = try digest.finish(identity: nil)
        }
        print("throughput: mapped file, SHA-256 tree digest alone: two threads \(mbps(size, hashSeconds)) MB/s, "
            + "one thread \(mbps(size, streamSeconds)) MB/s")
        for compression in Compression.allCases {
            for key in [nil, key] {
                let encoder = try ObjectEncoder(options: ObjectOptions(compression: compression, level: nil, key: key))
                let decoder = ObjectDecoder(key: key)
                let object = folder + "/object", output = folder + "/output"
                let encode = try best(rounds) {
                    try FileSystem.remove(object)
                    _ = try encoder.encode(from: SystemFile.openForReading(input), to: SystemFile.createExclusive(object), as: .test)
                }
                let stored = try FileSystem.size(object) ?? 0
                let decode = try best(rounds) {
                    try FileSystem.remove(output)
                    _ = try decoder.decode(from: SystemFile.openForReading(object), to: SystemFile.createExclusive(output), object: "bench", identity: .test)
                }
                #expect(try FileSystem.readFile(output) == FileSystem.readFile(input))
                let name = "\(compression.rawValue)\(key == nil ? "" : "+aes-gcm")"
                print("throughput: \(name): \(size) -> \(stored) bytes (\(stored * 100 / max(size, 1))%), "
                      + "encode \(mbps(size, encode)) MB/s, decode \(mbps(size, decode)) MB/s")
            }
        }
    }

    private func best(_ rounds: Int, _ body: () throws -> Void) throws -> Double {
        var fastest = Double.infinity
        for _ in 0..<rounds {
            var start = timespec(), end = timespec()
            clock_gettime(CLOCK_MONOTONIC, &start)
            try body()
            clock_gettime(CLOCK_MONOTONIC, &end)
            fastest = min(fastest, Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9)
        }
        return fastest
    }

    private func mbps(_ bytes: Int, _ seconds: Double) -> Int { Int(Double(bytes) / seconds / 1e6) }
}
