import Testing
@testable import PITRPipeline
@testable import PITRSupport

/// Objects decoded in order into a source that is pulled from, in bounded buffers, every check kept.
@Suite struct DecodingSourceTests {
    static let key = MasterKey(bytes: Array(0..<32))!

    static func object(_ input: [UInt8], name: String, key: MasterKey?) throws -> [UInt8] {
        let sink = MemorySink()
        _ = try ObjectEncoder(options: ObjectOptions(compression: .lz4, level: nil, key: key))
            .encode(from: MemorySource(input), to: sink, as: ObjectIdentity(["file": name]))
        return sink.bytes
    }

    static func part(_ bytes: [UInt8], name: String, size: Int?) -> DecodingSource.Part {
        DecodingSource.Part(object: name, identity: ObjectIdentity(["file": name]), size: size) { MemorySource(bytes) }
    }

    /// Reads everything in reads of `step` bytes.
    static func readAll(_ source: ByteSource, step: Int) throws -> [UInt8] {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: step)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { return output }
            output += buffer[0..<count]
        }
    }

    @Test(arguments: [false, true])
    func partsDecodeInOrder(encrypted: Bool) throws {
        let key = encrypted ? Self.key : nil
        let first = mixedData(count: 3 << 20, seed: 1), second = mixedData(count: 1000, seed: 2), third = [UInt8]()
        let parts = try [("a", first), ("b", second), ("c", third)].map { name, input in
            Self.part(try Self.object(input, name: name, key: key), name: name, size: input.count)
        }
        let source = try DecodingSource(keyring: key.map(Keyring.init(single:)), parts: parts)
        #expect(try Self.readAll(source, step: 70_000) == first + second + third)
        #expect(try Self.readAll(source, step: 10) == [], "the end stays the end")
    }

    @Test func damagedPartThrowsBeforeTheEnd() throws {
        var damaged = try Self.object(mixedData(count: 200_000, seed: 3), name: "b", key: Self.key)
        damaged[damaged.count / 2] ^= 1
        let parts = [Self.part(try Self.object([1, 2, 3], name: "a", key: Self.key), name: "a", size: 3), Self.part(damaged, name: "b", size: 200_000)]
        let source = try DecodingSource(keyring: Keyring(single: Self.key), parts: parts)
        #expect(throws: ObjectFormatError.self) { _ = try Self.readAll(source, step: 4096) }
    }

    @Test func partOfAnotherSizeThanListedIsRefused() throws {
        let bytes = try Self.object([1, 2, 3], name: "a", key: nil)
        let source = try DecodingSource(keyring: nil, parts: [Self.part(bytes, name: "a", size: 4)])
        #expect(throws: ObjectFormatError.listedSizeMismatch(object: "a", listed: 4, actual: 3)) { _ = try Self.readAll(source, step: 4096) }
    }

    @Test func partBoundToAnotherNameIsRefused() throws {
        let bytes = try Self.object([1, 2, 3], name: "a", key: Self.key)
        let source = try DecodingSource(keyring: Keyring(single: Self.key), parts: [Self.part(bytes, name: "b", size: 3)])
        #expect(throws: ObjectFormatError.self) { _ = try Self.readAll(source, step: 4096) }
    }

    @Test func closedOrReleasedEarlyStopsTheThread() throws {
        let bytes = try Self.object(mixedData(count: 8 << 20, seed: 4), name: "a", key: nil)
        let source = try DecodingSource(keyring: nil, parts: [Self.part(bytes, name: "a", size: nil)])
        var buffer = [UInt8](repeating: 0, count: 1000)
        #expect(try buffer.withUnsafeMutableBytes { try source.read(into: $0) } > 0)
        source.close()
        source.close()
        // Released without a read or a close: deinit stops the thread blocked on a full queue.
        _ = try DecodingSource(keyring: nil, parts: [Self.part(bytes, name: "a", size: nil)])
    }
}
