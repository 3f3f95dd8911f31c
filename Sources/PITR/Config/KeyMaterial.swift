import PITRPipeline
import PITRSupport

/// How one line of a key file holds its key (docs/format.md, "Key file"): the third field, a prefix naming the form and
/// the key in that form. The one place that knows the forms: another form is another case here.
enum KeyMaterial {
    /// `base64:` and the base64 of the 32 key bytes.
    case plain(MasterKey)
    /// `wrapped:` and the key's wrappings (`WrappedKey`): by AWS KMS and by a passphrase.
    case wrapped(WrappedKey)

    static let plainPrefix = "base64:"

    /// Parses a line's third field. Problems never quote the field: it is key material.
    static func parse(_ field: Substring) -> Result<KeyMaterial, KeyLineProblem> {
        if field.hasPrefix(WrappedKey.prefix) {
            return WrappedKey.parse(field.dropFirst(WrappedKey.prefix.count)).map { .wrapped($0) }.mapError { .badWrapping($0.problem) }
        }
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

    /// The master key of the line listing it as `id` in key file `file`; a wrapped key is unwrapped with `wrapping`
    /// (without one, a wrapped key cannot be used: `KeyFileProblem.unwrapFailed`).
    func key(id: String, line: Int, file: String, wrapping: KeyWrapping?) -> Result<MasterKey, KeyFileProblem> {
        switch self {
        case .plain(let key):
            return .success(key)
        case .wrapped(let wrapped):
            guard let wrapping else {
                return .failure(.unwrapFailed(line: line, keyID: id, reasons: ["wrapped keys are unwrapped only by the commands, with their settings"]))
            }
            return wrapping.unwrap(wrapped, keyID: id, file: file).mapError { .unwrapFailed(line: line, keyID: id, reasons: $0.reasons) }
        }
    }

    /// The field that holds the new key `key` as `keygen` writes it: wrapped when `wrapping` wraps new keys
    /// (TAILTOWN_KMS_KEY_ID is set), so the plain key never reaches the disk; else plain.
    static func new(_ key: MasterKey, wrapping: KeyWrapping?) throws -> (material: KeyMaterial, text: String) {
        if let wrapping, wrapping.wrapsNewKeys {
            let wrapped = try wrapping.wrap(key)
            return (.wrapped(wrapped), wrapped.text)
        }
        return (.plain(key), plainText(of: key))
    }

    /// The field that holds `key` in plain form.
    static func plainText(of key: MasterKey) -> String {
        plainPrefix + Base64.encode(key.bytes)
    }
}
