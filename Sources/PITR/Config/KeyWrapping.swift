import PITRNative
import PITRPipeline
import PITRStorage
import PITRSupport

/// Wraps new keys and unwraps the `wrapped:` keys of key files (docs/operations.md, "Keys wrapped by
/// AWS KMS"): KMS first, then the second KMS key, then the passphrase. An unwrapped key is kept for the next
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

    /// For `config`: what keygen wraps new keys with and how long unwrapped keys are cached, after checking the
    /// settings keygen would need (a second wrapping, a readable passphrase file, AWS credentials, the endpoint);
    /// nil when TAILTOWN_KMS_KEY_ID is unset. Throws what keygen would.
    public func summary() throws -> String? {
        guard let kmsKeyID = settings.kmsKeyID else { return nil }
        let passphrase = try settings.keyPassphrase(), secondKeyID = settings.kmsSecondKeyID
        guard passphrase != nil || secondKeyID != nil else { throw KeyWrappingError.secondWrappingMissing(origin: kmsKeyID.origin) }
        let configuration = try settings.kmsConfiguration(home: home, log: log)
        let seconds = try settings.kmsCacheSeconds()
        let second = [secondKeyID.map { "KMS key \($0.text)" }, passphrase.map { _ in "the passphrase of \(SettingDefinition.keyPassphraseFile.name)" }]
            .compactMap { $0 }.joined(separator: " and ")
        return "key wrapping: keygen wraps new keys with KMS key \(kmsKeyID.text) at \(configuration.endpointDescription) and \(second); "
            + (seconds == 0 ? "unwrapped keys are not cached" : "unwrapped keys stay \(seconds) s in the user's kernel keyring")
    }

    /// `key` wrapped by KMS (TAILTOWN_KMS_KEY_ID) and a second way: the passphrase (TAILTOWN_KEY_PASSPHRASE_FILE),
    /// the second KMS key (TAILTOWN_KMS_SECOND_KEY_ID), or both; each wrapping checked by unwrapping it again.
    /// Throws `KeyWrappingError.secondWrappingMissing` when neither second way is configured.
    func wrap(_ key: MasterKey) throws -> WrappedKey {
        guard let kmsKeyID = settings.kmsKeyID else { preconditionFailure("wrap without TAILTOWN_KMS_KEY_ID") }
        let passphrase = try settings.keyPassphrase(), secondKeyID = settings.kmsSecondKeyID
        guard passphrase != nil || secondKeyID != nil else { throw KeyWrappingError.secondWrappingMissing(origin: kmsKeyID.origin) }
        let keyID = key.keyIDHex
        var wrapped = WrappedKey()
        do {
            wrapped.kms = try wrapByKMS(key, with: kmsKeyID.text)
            wrapped.kms2 = try secondKeyID.map { try wrapByKMS(key, with: $0.text) }
        } catch let error as KeyWrappingError {
            throw error
        } catch {
            throw KeyWrappingError.wrapFailed(reason: "\(error)")
        }
        if let passphrase {
            let blob = try PassphraseWrap.seal(key, keyID: keyID, passphrase: passphrase)
            guard case .success(let again) = try PassphraseWrap.open(blob, keyID: keyID, passphrase: passphrase), again.bytes == key.bytes else {
                throw KeyWrappingError.wrapFailed(reason: "the passphrase wrapping does not open again")
            }
            wrapped.passphrase = blob
        }
        return wrapped
    }

    /// KMS Encrypt of `key` under the KMS key `kmsKeyID`, checked by a Decrypt.
    private func wrapByKMS(_ key: MasterKey, with kmsKeyID: String) throws -> [UInt8] {
        let context = [KeyWrapping.contextName: key.keyIDHex]
        let kms = try kmsClient()
        let blob = try kms.encrypt(key.bytes, keyID: kmsKeyID, context: context)
        guard try kms.decrypt(blob, keyID: kmsKeyID, context: context) == key.bytes else {
            throw KeyWrappingError.wrapFailed(reason: "KMS Decrypt with key \(kmsKeyID) did not give back the key KMS Encrypt wrapped")
        }
        return blob
    }

    /// Why a wrapped key could not be unwrapped: one reason per way tried, each naming its setting or KMS request.
    struct Failure: Error, Equatable {
        let reasons: [String]
    }

    /// The key wrapped in `wrapped`, listed as `keyID` in key file `file`: from the kernel keyring when an earlier
    /// process left it there, else by KMS Decrypt, else (KMS failing) by the second KMS key, else by the passphrase.
    func unwrap(_ wrapped: WrappedKey, keyID: String, file: String) -> Result<MasterKey, Failure> {
        var reasons: [String] = []
        let seconds: UInt32
        do {
            seconds = try settings.kmsCacheSeconds()
        } catch {
            return .failure(Failure(reasons: ["\(error)"]))
        }
        let description = try? wrapped.cacheDescription(keyID: keyID)
        if seconds > 0, let description, let key = cached(description), key.keyIDHex == keyID { return .success(key) }

        var unwrapped: MasterKey?
        if let blob = wrapped.kms {
            unwrapped = unwrapByKMS(blob, with: settings.kmsKeyID?.text, keyID: keyID, reasons: &reasons)
        } else {
            reasons.append("it has no KMS wrapping")
        }
        if unwrapped == nil, let blob = wrapped.kms2 {
            unwrapped = unwrapByKMS(blob, with: settings.kmsSecondKeyID?.text, keyID: keyID, reasons: &reasons)
            if unwrapped != nil {
                log.warning("key \(keyID) of key file \(KeyWrapping.shownFile(file)) was unwrapped with the second KMS key "
                    + "because the first could not: " + reasons.joined(separator: "; "))
            }
        }
        if unwrapped == nil {
            unwrapped = unwrapWithPassphrase(wrapped, keyID: keyID, reasons: &reasons)
            if unwrapped != nil {
                log.warning("key \(keyID) of key file \(KeyWrapping.shownFile(file)) was unwrapped with the passphrase "
                    + "(\(SettingDefinition.keyPassphraseFile.name)) because KMS could not: " + reasons.joined(separator: "; "))
            }
        }
        guard let key = unwrapped else { return .failure(Failure(reasons: reasons)) }
        if seconds > 0, let description { cache(key, description: description, seconds: seconds) }
        return .success(key)
    }

    /// KMS Decrypt of `blob`, passing `kmsKeyID` when set; nil (with a reason added) when it fails.
    private func unwrapByKMS(_ blob: [UInt8], with kmsKeyID: String?, keyID: String, reasons: inout [String]) -> MasterKey? {
        do {
            let bytes = try kmsClient().decrypt(blob, keyID: kmsKeyID, context: [KeyWrapping.contextName: keyID])
            if let key = MasterKey(bytes: bytes), key.keyIDHex == keyID { return key }
            reasons.append("KMS Decrypt gave a key that is not key \(keyID)")
        } catch {
            reasons.append("\(error)")
        }
        return nil
    }

    /// The last way: the passphrase wrapping opened with TAILTOWN_KEY_PASSPHRASE_FILE; nil (with a reason added) when it cannot be.
    private func unwrapWithPassphrase(_ wrapped: WrappedKey, keyID: String, reasons: inout [String]) -> MasterKey? {
        guard let blob = wrapped.passphrase else {
            reasons.append("it has no passphrase wrapping")
            return nil
        }
        do {
            guard let passphrase = try settings.keyPassphrase() else {
                reasons.append("\(SettingDefinition.keyPassphraseFile.name) is not set, so the passphrase wrapping was not tried")
                return nil
            }
            switch try PassphraseWrap.open(blob, keyID: keyID, passphrase: passphrase) {
            case .success(let key):
                return key
            case .failure(.notAuthentic):
                reasons.append("the passphrase wrapping does not open with the passphrase of \(SettingDefinition.keyPassphraseFile.name) "
                    + "(another passphrase, or the line was changed)")
            case .failure(.malformed(let problem)):
                reasons.append("the passphrase wrapping is malformed: \(problem)")
            }
        } catch {
            reasons.append("\(error)")
        }
        return nil
    }

    /// A key file's path as messages may show it.
    static func shownFile(_ path: String) -> String {
        SettingDefinition.encryptionKeyFile.shown(path).map { "'\($0)'" } ?? "(path not shown)"
    }

    private func kmsClient() throws -> KMSClient {
        if let client { return client }
        let made = try KMSClient(configuration: try settings.kmsConfiguration(home: home, log: log), log: log)
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
