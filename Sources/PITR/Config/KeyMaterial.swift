import PITRPipeline
import PITRSupport

/// How one line of a key file holds its key (docs/format.md, "Key file"): the third field, a prefix naming the form and
/// the key in that form. The one place that knows the forms: another form is another case here.
enum KeyMaterial {
    /// `base64:` and the base64 of the 32 key bytes.
    case plain(MasterKey)

    static let plainPrefix = "base64:"

    /// Parses a line's third field. Problems never quote the field: it is key material.
    static func parse(_ field: Substring) -> Result<KeyMaterial, KeyLineProblem> {
        guard field.hasPrefix(plainPrefix) else {
            let prefix = field.firstIndex(of: ":").map { field[..<$0] }
            let shown = prefix.flatMap { $0.count <= 16 && $0.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) } ? String($0) : nil }
            return .failure(.unknownMaterial(prefix: shown))
        }
        switch KeyFile.decode(String(field.dropFirst(plainPrefix.count))) {
        case .success(let key): return .success(.plain(key))
        case .failure(.wrongLength(let count)): return .failure(.wrongLength(count))
        case .failure: return .failure(.notBase64)
        }
    }

    /// The master key.
    var key: MasterKey {
        switch self {
        case .plain(let key): key
        }
    }

    /// The field that holds `key` in plain form, as `keygen` writes it.
    static func plainText(of key: MasterKey) -> String {
        plainPrefix + Base64.encode(key.bytes)
    }
}
