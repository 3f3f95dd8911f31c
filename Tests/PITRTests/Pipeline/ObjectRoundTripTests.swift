import Testing
@testable import PITRPipeline
@testable import PITRRetention
@testable import PITRSupport

/// Every compression, plain and encrypted, at the sizes where chunking and buffering change.
@Suite struct ObjectRoundTripTests {
    static let key = MasterKey(bytes: Array(0..<32))!
    static let big = mixedData(count: 16 << 20, seed: 16)
    static let chunk = 1 << 20

    static let sizes = [0, 1, chunk + 1, 16 << 20]
    static let cases: [(Compression, Bool)] = Compression.allCases.flatMap { [($0, false), ($0, true)] }

    @Test(arguments: cases)
    func roundTrip(compression: Compression, encrypted: Bool) throws {
        let key = encrypted ? Self.key : nil
        let encoder = try ObjectEncoder(options: ObjectOptions(compression: compression, level: nil, key: key))
        let decoder = ObjectDecoder(key: key)
        // The same encoder and decoder for every size: they are reused per process.
        for size in Self.sizes {
            let input = Array(Self.big[0..<size])
            let object = try encode(input, encoder)
            let header = try ObjectHeader(parsing: Array(object.bytes[0..<48]), object: "o")
            #expect(header.compression == compression)
            #expect(header.cipher == (encrypted ? .aes256GCMStream : .none))
            #expect(header.keyID == (encrypted ? Self.key.keyID : [UInt8](repeating: 0, count: 8)))

            let trailer = try ObjectTrailer(parsing: Array(object.bytes.suffix(48)), object: "o")
            #expect(trailer == object.trailer)
            #expect(trailer.originalSize == size)
            #expect(header.version == 2)
            #expect(trailer.digestKind == (encrypted ? .hmacSHA256TreeWithIdentity : .sha256TreeWithIdentity))
            #expect(trailer == (try input.withUnsafeBytes { try FileDigest.compute(bytes: $0, key: key, identity: .test) }))
            #expect(trailer == (try referenceTrailer(input, key: key, identity: .test)))

            let output = MemorySink()
            let decoded = try decoder.decode(from: MemorySource(object.bytes, maximumRead: 300_000), to: output, object: "o", identity: .test)
            #expect(decoded == trailer)
            #expect(output.bytes == input, "\(compression) encrypted=\(encrypted) size=\(size)")
        }
    }

    @Test(arguments: [1, 2, 3])
    func payloadOfWholeChunksEndsWithAnEmptyLastChunk(chunks: Int) throws {
        let input = Array(Self.big[0..<(chunks * Self.chunk)])
        let encoder = try ObjectEncoder(options: ObjectOptions(compression: .none, level: nil, key: Self.key))
        let object = try encode(input, encoder)
        // header + n full chunks with tags + an empty last chunk (tag only) + trailer
        #expect(object.bytes.count == 48 + chunks * (Self.chunk + 16) + 16 + 48)
        let output = MemorySink()
        _ = try ObjectDecoder(key: Self.key).decode(from: MemorySource(object.bytes), to: output, object: "o", identity: .test)
        #expect(output.bytes == input)
    }

    @Test(arguments: Compression.allCases)
    func smallChunksRoundTripAroundChunkBoundaries(compression: Compression) throws {
        let chunk = 1 << 16
        let encoder = try ObjectEncoder(options: ObjectOptions(compression: compression, level: nil, key: Self.key), chunkSizeLog2: 16)
        let decoder = ObjectDecoder(key: Self.key)
        for size in [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 40 * chunk + 17, 3 << 20] {
            let input = Array(Self.big[0..<size])
            let object = try encode(input, encoder)
            #expect(object.bytes[7] == 16)
            if compression == .none {
                #expect(object.bytes.count == 48 + size + (size / chunk + 1) * 16 + 48)
            }
            let output = MemorySink()
            #expect(try decoder.decode(from: MemorySource(object.bytes, maximumRead: 5000), to: output, object: "o", identity: .test) == object.trailer)
            #expect(output.bytes == input, "\(compression) size=\(size)")
            // Truncated by one stored chunk plus a few bytes: never accepted.
            if object.bytes.count > chunk + 200 {
                let cut = Array(object.bytes.dropLast(chunk + 16 + 5))
                #expect(throws: ObjectFormatError.self) { _ = try decoder.decode(from: MemorySource(cut), to: MemorySink(), object: "o", identity: .test) }
            }
        }
    }

    @Test func encryptedLayoutIsHeaderChunksTrailer() throws {
        let size = 2 * Self.chunk + 5
        let object = try encode(Array(Self.big[0..<size]),
                                try ObjectEncoder(options: ObjectOptions(compression: .none, level: nil, key: Self.key)))
        #expect(object.bytes.count == 48 + 2 * (Self.chunk + 16) + 5 + 16 + 48)
        let plain = try encode(Array(Self.big[0..<size]), try ObjectEncoder(options: ObjectOptions(compression: .none)))
        #expect(plain.bytes.count == 48 + size + 48)
        #expect(Array(plain.bytes[48..<(48 + size)]) == Array(Self.big[0..<size]))
    }

    @Test func everyEncryptedObjectGetsItsOwnSalt() throws {
        let encoder = try ObjectEncoder(options: ObjectOptions(compression: .lz4, level: nil, key: Self.key))
        let a = try encode([1, 2, 3], encoder), b = try encode([1, 2, 3], encoder)
        #expect(Array(a.bytes[16..<48]) != Array(b.bytes[16..<48]))
        #expect(Array(a.bytes[48..<(a.bytes.count - 48)]) != Array(b.bytes[48..<(b.bytes.count - 48)]))
        #expect(a.trailer == b.trailer)
    }

    @Test func compressionLevelsAreHonoured() throws {
        let input = Array(Self.big[0..<(4 << 20)])
        for (compression, fast, strong) in [(Compression.lz4, 1, 9), (.zstd, 1, 12)] {
            let small = try encode(input, try ObjectEncoder(options: ObjectOptions(compression: compression, level: strong)))
            let large = try encode(input, try ObjectEncoder(options: ObjectOptions(compression: compression, level: fast)))
            #expect(small.bytes.count < large.bytes.count, "\(compression)")
        }
    }

    @Test func readerThreadErrorsPropagateAndTheEncoderStaysUsable() throws {
        for key in [nil, Self.key] {
            let encoder = try ObjectEncoder(options: ObjectOptions(compression: .lz4, level: nil, key: key))
            for failAfter in [0, 10, 3 << 20] {
                #expect(throws: TestFailure.self) { _ = try encoder.encode(from: FailingSource(after: failAfter), to: MemorySink(), as: .test) }
            }
            for failAfter in [0, 100, 2 << 20] {
                #expect(throws: TestFailure.self) {
                    _ = try encoder.encode(from: MemorySource(Array(Self.big[0..<(5 << 20)])), to: FailingSink(after: failAfter), as: .test)
                }
            }
            let input = Array(Self.big[0..<(3 << 20)])
            let object = try encode(input, encoder)
            let output = MemorySink()
            _ = try ObjectDecoder(key: key).decode(from: MemorySource(object.bytes), to: output, object: "o", identity: .test)
            #expect(output.bytes == input)
        }
    }

    @Test func writerThreadErrorsPropagateAndTheDecoderStaysUsable() throws {
        let input = Array(Self.big[0..<(5 << 20 + 3)])
        for compression in Compression.allCases {
            for key in [nil, Self.key] {
                let object = try encode(input, try ObjectEncoder(options: ObjectOptions(compression: compression, level: nil, key: key)))
                let decoder = ObjectDecoder(key: key)
                for failAfter in [0, 100, 1 << 20, 4 << 20] {
                    #expect(throws: TestFailure.self) {
                        _ = try decoder.decode(from: MemorySource(object.bytes), to: FailingSink(after: failAfter), object: "o", identity: .test)
                    }
                }
                let output = MemorySink()
                #expect(try decoder.decode(from: MemorySource(object.bytes, maximumRead: 4097), to: output, object: "o", identity: .test) == object.trailer)
                #expect(output.bytes == input)
            }
        }
    }

    @Test func keyIDIsTheDerivedKnownAnswer() throws {
        // HKDF-SHA256(ikm: 00 01 ... 1f, salt: empty, info: "tailtown-pitr v1 key id"), first 8 bytes,
        // computed independently with Python's hmac module.
        #expect(Self.key.keyIDHex == "0f10b0f320559899")
        #expect(Self.key.keyID == bytes(hex: "0f10b0f320559899"))
        #expect(try Self.key.digestKey() == bytes(hex: "afd69cacff0fb5d9b46ccc073306e618924470328827ce943c32dcde89e1b8d4"))
        // HMAC-SHA256 under that key of (00 00 00 00 00 00 00 03 || SHA-256("abc")): the tree of one leaf.
        let trailer = try Array("abc".utf8).withUnsafeBytes { try FileDigest.compute(bytes: $0, key: Self.key, identity: nil) }
        #expect(trailer.digest == bytes(hex: "dd37af6b8347d904d0410469828dbcdcf5a25f0e7ada342ca404c5a5ea457640"))
    }

    @Test func trailerAndHeaderBytesFollowTheLayout() throws {
        let trailer = ObjectTrailer(originalSize: 0x0102_0304_0506, digestKind: .hmacSHA256Tree, digest: Array(100..<132))
        let bytes = trailer.bytes
        #expect(bytes.count == 48)
        #expect(Array(bytes[0..<12]) == [0, 0, 1, 2, 3, 4, 5, 6, 2, 0, 0, 0])
        #expect(Array(bytes[12..<44]) == Array(100..<132))
        #expect(Array(bytes[44..<48]) == Array("TTPE".utf8))
        #expect(try ObjectTrailer(parsing: bytes, object: "o") == trailer)

        let header = ObjectHeader(compression: .zstd, cipher: .aes256GCMStream, chunkSizeLog2: 20,
                                  keyID: Array(1...8), salt: Array(9...40))
        #expect(header.bytes == Array("TTPR".utf8) + [2, 2, 1, 20] + Array(1...40))
        #expect(try ObjectHeader(parsing: header.bytes, object: "o") == header)
        // Format 1 stays readable; 3 is not a format yet.
        #expect(try ObjectHeader(parsing: Array("TTPR".utf8) + [1, 2, 1, 20] + Array(1...40), object: "o").version == 1)
        #expect(throws: ObjectFormatError.unsupportedVersion(object: "o", version: 3)) {
            try ObjectHeader(parsing: Array("TTPR".utf8) + [3, 2, 1, 20] + Array(1...40), object: "o")
        }

        // Format 2's flags byte: the last piece of a backup archive.
        let last = ObjectTrailer(originalSize: 5, digestKind: .sha256TreeWithIdentity, digest: Array(100..<132), lastPiece: true)
        #expect(last.bytes[8...9] == [3, 1])
        #expect(try ObjectTrailer(parsing: last.bytes, object: "o") == last)
        var flaggedV1 = trailer.bytes
        flaggedV1[9] = 1
        #expect(throws: ObjectFormatError.corruptTrailer(object: "o", reason: "reserved bytes are not zero")) {
            try ObjectTrailer(parsing: flaggedV1, object: "o")
        }
    }

    private func encode(_ input: [UInt8], _ encoder: ObjectEncoder) throws -> (bytes: [UInt8], trailer: ObjectTrailer) {
        let sink = MemorySink()
        let trailer = try encoder.encode(from: MemorySource(input), to: sink, as: .test)
        return (sink.bytes, trailer)
    }
}
