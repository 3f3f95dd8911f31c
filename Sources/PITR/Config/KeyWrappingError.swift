import PITRSupport

/// A key that cannot be wrapped, or a setting of the wrapping that cannot be used (a key that cannot be
/// unwrapped is a `KeyFileProblem`). Messages name the settings and the KMS request; never a key, a
/// wrapped key or a passphrase.
public enum KeyWrappingError: PITRError, Equatable {
    /// TAILTOWN_KMS_KEY_ID is set without a second wrapping.
    case secondWrappingMissing(origin: SettingOrigin)
    /// TAILTOWN_KEY_PASSPHRASE_FILE names a file that cannot hold the passphrase.
    case passphraseFile(origin: SettingOrigin, path: String, problem: String)
    /// KMS Encrypt or its check failed while keygen wrapped a new key.
    case wrapFailed(reason: String)

    public var description: String {
        switch self {
        case .secondWrappingMissing(let origin):
            return "\(SettingDefinition.kmsKeyID.name) is set (\(origin.fromDescription)) but neither \(SettingDefinition.keyPassphraseFile.name) "
                + "nor \(SettingDefinition.kmsSecondKeyID.name) is: a key wrapped by one KMS key alone is lost with that AWS account or KMS key; "
                + "set \(SettingDefinition.keyPassphraseFile.name) to a file holding a passphrase kept offline, or \(SettingDefinition.kmsSecondKeyID.name) "
                + "to a KMS key of another account (docs/operations.md, \"Keys wrapped by AWS KMS\")"
        case let .passphraseFile(origin, path, problem):
            let definition = SettingDefinition.keyPassphraseFile
            return "\(definition.shownAssignment(path)) (\(origin.fromDescription)): the passphrase file \(problem)"
        case .wrapFailed(let reason):
            return "cannot wrap the new key, so no key file was written: \(reason)"
        }
    }
}
