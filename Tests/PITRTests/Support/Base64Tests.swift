import Testing
@testable import PITRSupport

@Suite struct Base64Tests {
    // RFC 4648 section 10 test vectors.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test func encodesTheRFCVectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
        }
    }

    @Test func decodesTheRFCVectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
    }

    @Test func roundTripsEveryByteValueAndLength() {
        let all = (0...255).map { UInt8($0) }
        for length in 0...all.count {
            let bytes = Array(all[..<length])
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
    }

    @Test(arguments: [
        "Zm9", "Zm9vY", // not a multiple of four
        "Zm9v\n", " Zm9v", "Zm 9v", // whitespace is the caller's business
        "Zm-v", "Zm_v", "Zm9v!===", "Zé9v", // outside the standard alphabet
        "Z===", "====", "Zm=v", "Zg==Zm9v", "Zm9v=", // misplaced padding
        "Zh==", "Zm9=", // non-zero unused bits
        "Zg", "Zm8", // missing padding
    ])
    func rejects(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
