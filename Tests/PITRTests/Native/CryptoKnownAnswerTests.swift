import Testing
@testable import PITRNative
@testable import PITRSupport

/// Published test vectors, so each libcrypto wrapper is proven on its own.
@Suite struct CryptoKnownAnswerTests {
    @Test func sha256OfKnownMessages() throws {
        #expect(try SHA256Hasher.digest([]) == bytes(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        #expect(try SHA256Hasher.digest(Array("abc".utf8)) == bytes(hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
    }

    @Test func sha256StreamsAcrossUpdatesAndResets() throws {
        let hasher = try SHA256Hasher()
        try hasher.update(UnsafeRawBufferPointer(start: nil, count: 0))
        for part in ["a", "b", "c"] { try Array(part.utf8).withUnsafeBytes { try hasher.update($0) } }
        #expect(try hasher.finish() == bytes(hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        try hasher.reset()
        #expect(try hasher.finish() == bytes(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
    }

    @Test func hmacSHA256RFC4231Cases() throws {
        // RFC 4231 test case 1 and 2.
        #expect(try HMACSHA256.mac(key: [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8))
            == bytes(hex: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"))
        let mac = try HMACSHA256(key: Array("Jefe".utf8))
        for part in ["what do ya want ", "for nothing?"] { try Array(part.utf8).withUnsafeBytes { try mac.update($0) } }
        let expected = bytes(hex: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(try mac.finish() == expected)
        try mac.reset()
        try Array("what do ya want for nothing?".utf8).withUnsafeBytes { try mac.update($0) }
        #expect(try mac.finish() == expected)
    }

    @Test func hkdfRFC5869Cases() throws {
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        // Test case 1.
        #expect(try HKDF.sha256(key: ikm, salt: bytes(hex: "000102030405060708090a0b0c"),
                                info: bytes(hex: "f0f1f2f3f4f5f6f7f8f9"), length: 42)
            == bytes(hex: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
        // Test case 3: empty salt and info, as the key id and digest key use an empty salt.
        #expect(try HKDF.sha256(key: ikm, salt: [], info: [], length: 42)
            == bytes(hex: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"))
    }

    @Test func scryptRFC7914Vectors() throws {
        // RFC 7914 section 12, the first two vectors (the last two take seconds and a GiB).
        #expect(try Scrypt.derive(passphrase: [], salt: [], n: 16, r: 1, p: 1, length: 64) == bytes(hex:
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"))
        #expect(try Scrypt.derive(passphrase: Array("password".utf8), salt: Array("NaCl".utf8), n: 1024, r: 8, p: 16, length: 64) == bytes(hex:
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"))
    }

    @Test func aes256GCMSealsAndOpensTheGCMSpecVectors() throws {
        // "The Galois/Counter Mode of Operation", test cases 14 and 16 (AES-256).
        try check(key: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 12), aad: [],
                  plaintext: [UInt8](repeating: 0, count: 16),
                  ciphertext: bytes(hex: "cea7403d4d606b6e074ec5d3baf39d18"), tag: bytes(hex: "d0d1c8a799996bf0265b98b5d48ab919"))
        try check(key: bytes(hex: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
                  nonce: bytes(hex: "cafebabefacedbaddecaf888"),
                  aad: bytes(hex: "feedfacedeadbeeffeedfacedeadbeefabaddad2"),
                  plaintext: bytes(hex: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"),
                  ciphertext: bytes(hex: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"),
                  tag: bytes(hex: "76fc6ece0f4e1768cddf8853bb2d551b"))
    }

    @Test func aes256GCMRejectsAnyChange() throws {
        let key = bytes(hex: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let cipher = try AES256GCM(key: key)
        let nonce = [UInt8](repeating: 7, count: 12), aad: [UInt8] = [1, 2, 3]
        var data = Array("chunk of payload".utf8)
        var tag = [UInt8](repeating: 0, count: 16)
        try seal(cipher, &data, nonce, aad, &tag)
        let sealed = data

        var otherNonce = nonce
        otherNonce[11] = 1
        var otherTag = tag
        otherTag[0] ^= 1
        var otherData = sealed
        otherData[3] ^= 0x80
        #expect(try open(cipher, sealed, nonce, aad, tag) == Array("chunk of payload".utf8))
        #expect(try open(cipher, sealed, otherNonce, aad, tag) == nil)
        #expect(try open(cipher, sealed, nonce, [1, 2, 4], tag) == nil)
        #expect(try open(cipher, sealed, nonce, aad, otherTag) == nil)
        #expect(try open(cipher, otherData, nonce, aad, tag) == nil)
        cipher.rekey([UInt8](repeating: 1, count: 32))
        #expect(try open(cipher, sealed, nonce, aad, tag) == nil)
        // Still usable after failures.
        cipher.rekey(key)
        #expect(try open(cipher, sealed, nonce, aad, tag) == Array("chunk of payload".utf8))
    }

    @Test func randomBytesDiffer() throws {
        let a = try SecureRandom.bytes(32), b = try SecureRandom.bytes(32)
        #expect(a.count == 32 && a != b)
    }

    private func check(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8], ciphertext: [UInt8], tag: [UInt8]) throws {
        let cipher = try AES256GCM(key: key)
        var data = plaintext
        var sealedTag = [UInt8](repeating: 0, count: 16)
        try seal(cipher, &data, nonce, aad, &sealedTag)
        #expect(data == ciphertext)
        #expect(sealedTag == tag)
        #expect(try open(cipher, ciphertext, nonce, aad, tag) == plaintext)
    }

    private func seal(_ cipher: AES256GCM, _ data: inout [UInt8], _ nonce: [UInt8], _ aad: [UInt8], _ tag: inout [UInt8]) throws {
        try data.withUnsafeMutableBytes { data in
            try tag.withUnsafeMutableBytes { tag in
                try nonce.withUnsafeBytes { nonce in
                    try aad.withUnsafeBytes { aad in try cipher.seal(data, nonce: nonce, aad: aad, tag: tag) }
                }
            }
        }
    }

    private func open(_ cipher: AES256GCM, _ ciphertext: [UInt8], _ nonce: [UInt8], _ aad: [UInt8], _ tag: [UInt8]) throws -> [UInt8]? {
        var data = ciphertext
        let verified = try data.withUnsafeMutableBytes { data in
            try tag.withUnsafeBytes { tag in
                try nonce.withUnsafeBytes { nonce in
                    try aad.withUnsafeBytes { aad in try cipher.open(data, nonce: nonce, aad: aad, tag: tag) }
                }
            }
        }
        return verified ? data : nil
    }
}

func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}
