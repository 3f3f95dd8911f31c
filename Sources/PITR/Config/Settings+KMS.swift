import PITRNative
import PITRStorage
import PITRSupport

/// The typed accessors of the key-wrapping settings (TAILTOWN_KMS_*, TAILTOWN_KEY_PASSPHRASE_FILE).
extension Settings {
    /// TAILTOWN_KMS_KEY_ID, or nil when keys are not wrapped by KMS.
    var kmsKeyID: SettingValue? { value(of: .kmsKeyID) }

    /// How many AWS KMS keys wrap the key file (TAILTOWN_KMS_KEY_ID and TAILTOWN_KMS_SECOND_KEY_ID): each is billed monthly.
    public var kmsKeyCount: Int { [kmsKeyID, kmsSecondKeyID].compactMap { $0 }.count }

    /// TAILTOWN_KMS_SECOND_KEY_ID, or nil when new keys get no second KMS wrapping.
    var kmsSecondKeyID: SettingValue? { value(of: .kmsSecondKeyID) }

    /// Where KMS is called and as whom: the AWS account of S3 (`awsAccount`) and TAILTOWN_KMS_ENDPOINT (verified with
    /// TAILTOWN_S3_CA_FILE when set, as a private endpoint), else AWS's regional endpoint. Throws `ConfigError` or
    /// `S3Error.configuration`.
    func kmsConfiguration(home: String?, log: Log) throws -> KMSConfiguration {
        let account = try awsAccount(home: home, log: log)
        var configuration = KMSConfiguration(endpoint: KMSConfiguration.awsEndpoint(region: account.region), region: account.region,
                                             credentials: account.credentials)
        if let url = value(of: .kmsEndpoint) {
            guard let parsed = S3Endpoint.parse(url.text, style: .path) else {
                throw invalid(.kmsEndpoint, url, "is not an endpoint URL: use http(s)://host[:port]")
            }
            configuration.endpoint = parsed
            configuration.http.caFile = try privateCAFile()
        }
        return configuration
    }

    /// TAILTOWN_KMS_CACHE_SECONDS: 0 (no cache) ... 86400.
    public func kmsCacheSeconds() throws -> UInt32 {
        guard let value = value(of: .kmsCacheSeconds) else { return 300 }
        guard let seconds = UInt32(value.text), seconds <= 86400 else {
            throw invalid(.kmsCacheSeconds, value, "is not a whole number of seconds in 0...86400")
        }
        return seconds
    }

    /// The passphrase of TAILTOWN_KEY_PASSPHRASE_FILE, or nil when it is unset: the file's bytes without one
    /// trailing newline. The file is checked as a key file is (`SecretFile.Policy.keyFile`).
    func keyPassphrase() throws -> [UInt8]? {
        guard let setting = value(of: .keyPassphraseFile) else { return nil }
        let fail = { (problem: String) in KeyWrappingError.passphraseFile(origin: setting.origin, path: setting.text, problem: problem) }
        let shownPath = SettingDefinition.keyPassphraseFile.shown(setting.text) ?? "FILE"
        let file: SecretFile
        do {
            file = try SecretFile.read(setting.text, limit: 1024)
        } catch let error as IOError {
            throw fail("cannot be read: \(String(cString: strerror(error.code)))")
        }
        if let problem = file.problem(under: .keyFile) { throw fail(problem.description(path: shownPath)) }
        guard file.bytes.count <= 1024 else { throw fail("is larger than 1024 bytes: it should hold one passphrase line") }
        var passphrase = file.bytes
        if passphrase.last == UInt8(ascii: "\n") { passphrase.removeLast() }
        if passphrase.last == UInt8(ascii: "\r") { passphrase.removeLast() }
        guard passphrase.count >= 12 else { throw fail("holds fewer than 12 characters: use a longer passphrase") }
        return passphrase
    }
}
