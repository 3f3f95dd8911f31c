import PITRNative
import PITRSupport

/// A key that a key file holds only wrapped: its material `wrapped:kms=BASE64;passphrase=BASE64`
/// (docs/format.md, "Key file"). `kms` is the CiphertextBlob of KMS Encrypt, `passphrase` the
/// `PassphraseWrap`; either one alone unwraps the key.
struct WrappedKey: Equatable, Sendable {
    static let prefix = "wrapped:"

    var kms: [UInt8]?
    var passphrase: [UInt8]?

    /// The material as a key file line holds it.
    var text: String {
        WrappedKey.prefix + [kms.map { "kms=" + Base64.encode($0) }, passphrase.map { "passphrase=" + Base64.encode($0) }]
            .compactMap { $0 }.joined(separator: ";")
    }

    /// Parses the material after `wrapped:`. The problem names the part, never its bytes.
    static func parse(_ material: Substring) -> Result<WrappedKey, Malformed> {
        var key = WrappedKey()
        for part in material.split(separator: ";", omittingEmptySubsequences: false) {
            guard let equals = part.firstIndex(of: "=") else {
                return .failure(Malformed(problem: "has a wrapping without '=': expected kms=BASE64;passphrase=BASE64"))
            }
            let name = part[..<equals]
            guard let bytes = Base64.decode(String(part[part.index(after: equals)...])), !bytes.isEmpty else {
                let shown = name == "kms" || name == "passphrase" ? "\(name) " : ""
                return .failure(Malformed(problem: "has a \(shown)wrapping that is not base64"))
            }
            switch name {
            case "kms" where key.kms == nil: key.kms = bytes
            case "passphrase" where key.passphrase == nil: key.passphrase = bytes
            case "kms", "passphrase": return .failure(Malformed(problem: "names the \(name) wrapping twice"))
            default: return .failure(Malformed(problem: "has a wrapping that is neither kms nor passphrase"))
            }
        }
        guard key.kms != nil || key.passphrase != nil else { return .failure(Malformed(problem: "has no wrapping")) }
        return .success(key)
    }

    /// What is wrong with a `wrapped:` material, a predicate phrase ("has no wrapping").
    struct Malformed: Error, Equatable {
        let problem: String
    }

    /// Names the cached key in the kernel keyring: the key id and a digest of this material, so a
    /// changed key file never reuses a key unwrapped from the material it had before.
    func cacheDescription(keyID: String) throws -> String {
        "tailtown-pitr:\(keyID):" + String(hex(try SHA256Hasher.digest(Array(text.utf8))).prefix(32))
    }
}
