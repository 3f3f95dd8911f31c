import PITRNative
import PITRSupport

/// A key that a key file holds only wrapped: its material `wrapped:kms=BASE64;kms2=BASE64;passphrase=BASE64`
/// (docs/format.md, "Key file"). `kms` is the CiphertextBlob of KMS Encrypt under TAILTOWN_KMS_KEY_ID, `kms2`
/// the same under TAILTOWN_KMS_SECOND_KEY_ID, `passphrase` the `PassphraseWrap`; any one alone unwraps the key.
struct WrappedKey: Equatable, Sendable {
    static let prefix = "wrapped:"

    var kms: [UInt8]?
    var kms2: [UInt8]?
    var passphrase: [UInt8]?

    /// The wrappings' names, in the order they are written and tried.
    static let names = ["kms", "kms2", "passphrase"]

    /// The material as a key file line holds it.
    var text: String {
        WrappedKey.prefix + zip(WrappedKey.names, [kms, kms2, passphrase]).compactMap { name, blob in blob.map { "\(name)=" + Base64.encode($0) } }
            .joined(separator: ";")
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
                let shown = WrappedKey.names.contains(String(name)) ? "\(name) " : ""
                return .failure(Malformed(problem: "has a \(shown)wrapping that is not base64"))
            }
            switch name {
            case "kms" where key.kms == nil: key.kms = bytes
            case "kms2" where key.kms2 == nil: key.kms2 = bytes
            case "passphrase" where key.passphrase == nil: key.passphrase = bytes
            case "kms", "kms2", "passphrase": return .failure(Malformed(problem: "names the \(name) wrapping twice"))
            default: return .failure(Malformed(problem: "has a wrapping that is not kms, kms2 or passphrase"))
            }
        }
        guard key.kms != nil || key.kms2 != nil || key.passphrase != nil else { return .failure(Malformed(problem: "has no wrapping")) }
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
