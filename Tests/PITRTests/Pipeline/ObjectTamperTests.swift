import Testing
@testable import PITRPipeline

/// Damaged, cut, rearranged or substituted objects: each is refused with its own error.
@Suite struct ObjectTamperTests {
    static let key = MasterKey(bytes: Array(0..<32))!
    static let otherKey = MasterKey(bytes: Array(repeating: 9, count: 32))!
    static let chunk = 1 << 20
    static let stored = chunk + 16
    /// 3 full chunks and a last one of 0.5 MiB (compression none keeps the layout predictable).
    static let input = mixedData(count: 3 * chunk + chunk / 2, seed: 7)
    static let encrypted = encode(.none, key: key)
    static let plain = encode(.none, key: nil)
    static let plainLZ4 = encode(.lz4, key: nil)
    static let encryptedLZ4 = encode(.lz4, key: key)

    static func encode(_ compression: Compression, key: MasterKey?) -> [UInt8] {
        let sink = MemorySink()
        _ = try! ObjectEncoder(options: ObjectOptions(compression: compression, level: nil, key: key))
            .encode(from: MemorySource(input), to: sink, as: .test)
        return sink.bytes
    }

    /// Decodes, returning the error (nil when it decoded to the original input).
    func failure(_ object: [UInt8], key: MasterKey? = ObjectTamperTests.key, identity: ObjectIdentity = .test) -> ObjectFormatError? {
        let sink = MemorySink()
        do {
            _ = try ObjectDecoder(key: key).decode(from: MemorySource(object), to: sink, object: "wal/000000010000000000000001", identity: identity)
            #expect(sink.bytes == Self.input, "decoded without error but to different bytes")
            return nil
        } catch let error as ObjectFormatError {
            #expect(error.description.contains("wal/000000010000000000000001"))
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    func flipped(_ object: [UInt8], at offset: Int, with mask: UInt8 = 0x01) -> [UInt8] {
        var copy = object
        copy[offset] ^= mask
        return copy
    }

    @Test func untouchedObjectsDecode() {
        #expect(failure(Self.encrypted) == nil)
        #expect(failure(Self.encryptedLZ4) == nil)
        #expect(failure(Self.plain, key: nil) == nil)
        #expect(failure(Self.plainLZ4, key: nil) == nil)
        #expect(Self.encrypted.count == 48 + 3 * Self.stored + Self.chunk / 2 + 16 + 48)
    }

    @Test func headerFlipsInAnEncryptedObject() {
        let o = "wal/000000010000000000000001"
        let e = Self.encrypted
        #expect(failure(flipped(e, at: 0)) == .notAnObject(object: o))
        #expect(failure(flipped(e, at: 4)) == .unsupportedVersion(object: o, version: 3))
        // Relabelled as format 1, which binds no identity: the header is authenticated, so it fails at once.
        #expect(failure(flipped(e, at: 4, with: 3)) == .authenticationFailed(object: o, chunk: 0))
        #expect(failure(flipped(e, at: 5, with: 0x80)) == .unknownCompression(object: o, code: 0x80))
        #expect(failure(flipped(e, at: 6, with: 0x40)) == .unknownCipher(object: o, code: 0x41))
        #expect(failure(flipped(e, at: 7, with: 0x10)) == .unsupportedChunkSize(object: o, log2: 4))
        #expect(failure(flipped(e, at: 8)) == .wrongKey(object: o, expected: "0e10b0f320559899", given: ["0f10b0f320559899"]))
        // Another valid compression code, a smaller valid chunk size, or a salt byte:
        // only the authentication of the header as AAD catches these.
        #expect(failure(flipped(e, at: 5, with: 0x01)) == .authenticationFailed(object: o, chunk: 0))
        #expect(failure(flipped(e, at: 7, with: 0x04)) == .authenticationFailed(object: o, chunk: 0))
        #expect(failure(flipped(e, at: 16)) == .authenticationFailed(object: o, chunk: 0))
        #expect(failure(flipped(e, at: 47)) == .authenticationFailed(object: o, chunk: 0))
    }

    @Test func headerFlipsInAPlainObject() {
        let o = "wal/000000010000000000000001"
        let p = Self.plain
        #expect(failure(flipped(p, at: 7), key: nil) == .corruptHeader(object: o, reason: "a plain object has a chunk size, key id or salt"))
        #expect(failure(flipped(p, at: 12), key: nil) == .corruptHeader(object: o, reason: "a plain object has a chunk size, key id or salt"))
        #expect(failure(flipped(p, at: 40), key: nil) == .corruptHeader(object: o, reason: "a plain object has a chunk size, key id or salt"))
        #expect(failure(flipped(p, at: 6), key: nil) == .unsupportedChunkSize(object: o, log2: 0))
        // none -> lz4 over raw bytes
        if case .corruptCompressedData = failure(flipped(p, at: 5), key: nil) {} else { Issue.record("lz4 over raw bytes accepted") }
        // lz4 -> none: the raw frame bytes do not match the digest of the original
        #expect(failure(flipped(Self.plainLZ4, at: 5), key: nil) == .sizeMismatch(object: o, expected: Self.input.count,
                                                                                  actual: Self.plainLZ4.count - 96))
    }

    @Test func chunkFlipsFailTheirChunk() {
        let o = "wal/000000010000000000000001"
        for chunk in 0..<4 {
            let start = 48 + chunk * Self.stored
            for offset in [start, start + 1000, start + (chunk == 3 ? Self.chunk / 2 : Self.chunk) + 15] {
                #expect(failure(flipped(Self.encrypted, at: offset)) == .authenticationFailed(object: o, chunk: chunk))
            }
        }
    }

    /// An object read under another name (a segment copied to the next name, a piece into another backup)
    /// does not decode: its identity is authenticated (encrypted) or hashed into its digest (plain).
    @Test func anObjectIsRefusedUnderAnotherIdentity() {
        let o = "wal/000000010000000000000001"
        let other = ObjectIdentity(["file": "test2"])
        #expect(failure(Self.encrypted, identity: other) == .authenticationFailed(object: o, chunk: 0))
        #expect(failure(Self.plain, key: nil, identity: other) == .digestMismatch(object: o))
        // Expected as the last piece of its archive, but not flagged so (a later piece was dropped).
        let last = ObjectIdentity(["file": "test"], lastPiece: true)
        #expect(failure(Self.encrypted, identity: last) == .identityMismatch(object: o, identity: last.description))
        #expect(failure(Self.plain, key: nil, identity: last) == .identityMismatch(object: o, identity: last.description))
        // A plain object's flag is not authenticated (no key), but it is checked against accidents.
        #expect(failure(flipped(Self.plain, at: Self.plain.count - 39), key: nil) == .identityMismatch(object: o, identity: ObjectIdentity.test.description))
    }

    @Test func trailerFlips() {
        let o = "wal/000000010000000000000001"
        let e = Self.encrypted, end = e.count
        for offset in [end - 48, end - 41, end - 40, end - 37, end - 36, end - 5] {
            #expect(failure(flipped(e, at: offset)) == .authenticationFailed(object: o, chunk: 3))
        }
        #expect(failure(flipped(e, at: end - 1)) == .truncated(object: o))

        let p = Self.plain, pend = p.count
        #expect(failure(flipped(p, at: pend - 48), key: nil) == .sizeMismatch(object: o, expected: Self.input.count + (1 << 56), actual: Self.input.count))
        #expect(failure(flipped(p, at: pend - 41), key: nil) == .sizeMismatch(object: o, expected: Self.input.count ^ 1, actual: Self.input.count))
        // Kind 3 (plain, bound to its identity) with bit 0 or bit 1 flipped: 2 and 1 are kinds of their own.
        #expect(failure(flipped(p, at: pend - 40), key: nil)
            == .corruptTrailer(object: o, reason: "a plain object of format 2 must carry digest kind 3"))
        #expect(failure(flipped(p, at: pend - 40, with: 2), key: nil)
            == .corruptTrailer(object: o, reason: "a plain object of format 2 must carry digest kind 3"))
        #expect(failure(flipped(p, at: pend - 38), key: nil) == .corruptTrailer(object: o, reason: "reserved bytes are not zero"))
        #expect(failure(flipped(p, at: pend - 36), key: nil) == .digestMismatch(object: o))
        #expect(failure(flipped(p, at: pend - 5), key: nil) == .digestMismatch(object: o))
        #expect(failure(flipped(p, at: pend - 4), key: nil) == .truncated(object: o))
    }

    @Test func truncationsAreDetected() {
        let o = "wal/000000010000000000000001"
        let e = Self.encrypted
        let lastChunkStart = 48 + 3 * Self.stored
        let cuts = [0, 3, 10, 47, 48, 64, 48 + 1000, 48 + Self.stored, 48 + Self.stored + 48, 48 + 2 * Self.stored,
                    lastChunkStart, lastChunkStart + 100, e.count - 49, e.count - 48, e.count - 1]
        for cut in cuts {
            let error = failure(Array(e[0..<cut]))
            let expected: ObjectFormatError = cut < 4 ? .notAnObject(object: o) : .truncated(object: o)
            #expect(error == expected, "cut at \(cut)")
        }
        // The last chunk removed, the trailer kept.
        #expect(failure(Array(e[0..<lastChunkStart]) + Array(e.suffix(48))) == .truncated(object: o))
        // Only the trailer removed.
        #expect(failure(Array(e.dropLast(48))) == .truncated(object: o))

        for object in [Self.plain, Self.plainLZ4] {
            for cut in [5, 48, 100, object.count / 2, object.count - 48, object.count - 47, object.count - 1] {
                #expect(failure(Array(object[0..<cut]), key: nil) == .truncated(object: o), "plain cut at \(cut)")
            }
        }
        // Cut inside the lz4 frame, trailer re-attached: the frame is incomplete.
        let lz4 = Self.plainLZ4
        if case .corruptCompressedData = failure(Array(lz4[0..<(lz4.count / 2)]) + Array(lz4.suffix(48)), key: nil) {} else {
            Issue.record("an incomplete lz4 frame was accepted")
        }
    }

    @Test func droppedAndReorderedChunksFailAuthentication() {
        let o = "wal/000000010000000000000001"
        let e = Self.encrypted
        func chunk(_ i: Int) -> [UInt8] { Array(e[(48 + i * Self.stored)..<(48 + (i + 1) * Self.stored)]) }
        let header = Array(e[0..<48]), rest = Array(e[(48 + 3 * Self.stored)...])
        #expect(failure(header + chunk(0) + chunk(2) + rest) == .authenticationFailed(object: o, chunk: 1))
        #expect(failure(header + chunk(1) + chunk(2) + rest) == .authenticationFailed(object: o, chunk: 0))
        #expect(failure(header + chunk(1) + chunk(0) + chunk(2) + rest) == .authenticationFailed(object: o, chunk: 0))
        #expect(failure(header + chunk(0) + chunk(2) + chunk(1) + rest) == .authenticationFailed(object: o, chunk: 1))
        #expect(failure(header + chunk(0) + chunk(1) + chunk(2) + chunk(2) + rest) == .authenticationFailed(object: o, chunk: 3))
        // Chunks of another object under the same key (different salt, so different object key).
        let other = Self.encode(.none, key: Self.key)
        #expect(failure(header + Array(other[48...])) == .authenticationFailed(object: o, chunk: 0))
        #expect(failure(Array(other[0..<48]) + Array(e[48...])) == .authenticationFailed(object: o, chunk: 0))
    }

    @Test func keysMustMatchTheObject() {
        let o = "wal/000000010000000000000001"
        #expect(failure(Self.encrypted, key: Self.otherKey)
            == .wrongKey(object: o, expected: Self.key.keyIDHex, given: [Self.otherKey.keyIDHex]))
        #expect(failure(Self.encrypted, key: nil) == .encryptedButNoKey(object: o, keyID: Self.key.keyIDHex))
        #expect(failure(Self.plain, key: Self.key) == .plaintextButKeyGiven(object: o, keyID: Self.key.keyIDHex))
        #expect(ObjectFormatError.plaintextButKeyGiven(object: o, keyID: Self.key.keyIDHex).description
            .hasPrefix("object \(o) is not encrypted but the repository uses encryption key \(Self.key.keyIDHex)"))
        // Same key id forged onto another key's object: the derived object key differs.
        let forged = Self.encode(.none, key: Self.otherKey)
        var relabelled = forged
        relabelled.replaceSubrange(8..<16, with: Self.key.keyID)
        #expect(failure(relabelled) == .authenticationFailed(object: o, chunk: 0))
    }

    @Test func corruptedPlainPayloads() {
        let o = "wal/000000010000000000000001"
        #expect(failure(flipped(Self.plain, at: 48 + 12345), key: nil) == .digestMismatch(object: o))
        if case .corruptCompressedData = failure(flipped(Self.plainLZ4, at: 48), key: nil) {} else {
            Issue.record("a damaged lz4 magic was accepted")
        }
        // Anywhere in an lz4 payload: some error, never success.
        for offset in stride(from: 48, to: Self.plainLZ4.count - 48, by: 9973) {
            #expect(failure(flipped(Self.plainLZ4, at: offset, with: 0x20), key: nil) != nil, "flip at \(offset)")
        }
    }

    @Test(arguments: [false, true])
    func noSingleByteFlipPasses(lz4: Bool) {
        let e = lz4 ? Self.encryptedLZ4 : Self.encrypted
        var offsets = Array(0..<48) + Array((e.count - 64)..<e.count)
        offsets += stride(from: 48, to: e.count - 64, by: 65_521)
        for offset in offsets {
            #expect(failure(flipped(e, at: offset, with: 0x04)) != nil, "flip at \(offset)")
        }
    }
}
