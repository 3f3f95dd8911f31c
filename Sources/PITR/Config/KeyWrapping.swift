import PITRNative
import PITRPipeline
import PITRStorage
import PITRSupport

/// Wraps new keys and unwraps the `wrapped:` keys of key files (docs/operations.md, "Keys wrapped by
/// AWS KMS"): KMS first, the passphrase when KMS fails. An unwrapped key is kept for the next
/// per-segment processes only in the user's kernel keyring (`KernelKeyring`), never in a file.
public final class KeyWrapping {
    /// KMS's encryption context: a wrapped key unwraps only for the key id it was made for.
    static let contextName = "tailtown-pitr-key-id"

    private let settings: Settings
    private let home: String?
    private let log: Log
    private var client: KMSClient?
    private var keyringNoted = false

    /// `home` locates ~/.aws (the HOME variable), as for S3.
    public init(settings: Settings, home: String?, log: Log) {
        self.settings = settings
        self.home = home
        self.log = log
    }

    /// True when TAILTOWN_KMS_KEY_ID is set: keygen then writes wrapped keys only.
    public var wrapsNewKeys: Bool { settings.kmsKeyID != nil }

    /// `key` wrapped by KMS (TAILTOWN_KMS_KEY_ID) and by the passphrase (TAILTOWN_KEY_PASSPHRASE_FILE), each
    /// checked by unwrapping it again. Throws `KeyWrappingError.secondWrappingMissing` without a passphrase file.
    func wrap(_ key: MasterKey) throws -> WrappedKey {
        guard let kmsKeyID = settings.kmsKeyID else { preconditionFailure("wrap without TAILTOWN_KMS_KEY_ID") }
        guard let passphrase = try settings.keyPassphrase() else { throw KeyWrappingError.secondWrappingMissing(origin: kmsKeyID.origin) }
        let keyID = key.keyIDHex
        let context = [KeyWrapping.contextName: keyID]
        let wrapped: WrappedKey
        do {
            let kms = try kmsClient()
            let blob = try kms.encrypt(key.bytes, keyID: kmsKeyID.text, context: context)
            guard try kms.decrypt(blob, keyID: kmsKeyID.text, context: context) == key.bytes else {
                throw KeyWrappingError.wrapFailed(reason: "KMS Decrypt did not give back the key KMS Encrypt wrapped")
            }
            wrapped = WrappedKey(kms: blob, passphrase: try PassphraseWrap.seal(key, keyID: keyID, passphrase: passphrase))
        } catch let error as KeyWrappingError {
            throw error
        } catch {
            throw KeyWrappingError.wrapFailed(reason: "\(error)")
        }
        guard case .success(let again) = try PassphraseWrap.open(wrapped.passphrase ?? [], keyID: keyID, passphrase: passphrase),
              again.bytes == key.bytes else {
            throw KeyWrappingError.wrapFailed(reason: "the passphrase wrapping does not open again")
        }
        return wrapped
    }

    /// The key wrapped in `wrapped`, listed as `keyID` on `line` of key file `file`: from the kernel keyring
    /// when an earlier process left it there, else by KMS Decrypt, else (KMS failing) by the passphrase.
    /// Throws `KeyWrappingError.unwrapFailed` saying why each way failed.
    func unwrap(_ wrapped: WrappedKey, keyID: String, file: String, line: Int) throws -> MasterKey {
        let seconds = try settings.kmsCacheSeconds()
        let description = try wrapped.cacheDescription(keyID: keyID)
        if seconds > 0, let key = cached(description), key.keyIDHex == keyID { return key }

        var attempts: [String] = []
        var unwrapped: MasterKey?
        if let blob = wrapped.kms {
            do {
                let bytes = try kmsClient().decrypt(blob, keyID: settings.kmsKeyID?.text, context: [KeyWrapping.contextName: keyID])
                if let key = MasterKey(bytes: bytes), key.keyIDHex == keyID {
                    unwrapped = key
                } else {
                    attempts.append("KMS Decrypt gave a key that is not key \(keyID)")
                }
            } catch {
                attempts.append("\(error)")
            }
        } else {
            attempts.append("it has no KMS wrapping")
        }
        if unwrapped == nil {
            if let blob = wrapped.passphrase {
                if let passphrase = try settings.keyPassphrase() {
                    switch try PassphraseWrap.open(blob, keyID: keyID, passphrase: passphrase) {
                    case .success(let key):
                        unwrapped = key
                        log.warning("key \(keyID) of key file \(KeyWrappingError.shownFile(file)) was unwrapped with the passphrase "
                            + "(\(SettingDefinition.keyPassphraseFile.name)) because KMS could not: " + attempts.joined(separator: "; "))
                    case .failure(.notAuthentic):
                        attempts.append("the passphrase wrapping does not open with the passphrase of \(SettingDefinition.keyPassphraseFile.name) "
                            + "(another passphrase, or the line was changed)")
                    case .failure(.malformed(let problem)):
                        attempts.append("the passphrase wrapping is malformed: \(problem)")
                    }
                } else {
                    attempts.append("\(SettingDefinition.keyPassphraseFile.name) is not set, so the passphrase wrapping was not tried")
                }
            } else {
                attempts.append("it has no passphrase wrapping")
            }
        }
        guard let key = unwrapped else { throw KeyWrappingError.unwrapFailed(file: file, line: line, keyID: keyID, attempts: attempts) }
        if seconds > 0 { cache(key, description: description, seconds: seconds) }
        return key
    }

    private func kmsClient() throws -> KMSClient {
        if let client { return client }
        let made = try KMSClient(configuration: try settings.kmsConfiguration(home: home), log: log)
        client = made
        return made
    }

    private func cached(_ description: String) -> MasterKey? {
        do {
            return try KernelKeyring.load(description: description).flatMap { MasterKey(bytes: $0) }
        } catch {
            noteKeyring(error)
            return nil
        }
    }

    private func cache(_ key: MasterKey, description: String, seconds: UInt32) {
        do {
            try KernelKeyring.store(key.bytes, description: description, seconds: seconds)
        } catch {
            noteKeyring(error)
        }
    }

    /// Once per process, at debug level: without the keyring every process unwraps for itself.
    private func noteKeyring(_ error: Error) {
        guard !keyringNoted else { return }
        keyringNoted = true
        log.debug("\(error): unwrapped keys are not cached, so each process asks KMS")
    }
}
