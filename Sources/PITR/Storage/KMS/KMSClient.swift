import PITRNative
import PITRSupport

/// AWS KMS's Encrypt and Decrypt over its JSON protocol (POST / with X-Amz-Target
/// TrentService.*, SigV4 for service "kms"), on one HTTP connection, with a few retries of
/// transient failures. Request bodies and answers are never logged: they hold the key in plain.
public final class KMSClient {
    public let configuration: KMSConfiguration
    private let log: Log
    private let http: HTTPClient

    public init(configuration: KMSConfiguration, log: Log) throws {
        self.configuration = configuration
        self.log = log
        http = try HTTPClient(options: configuration.http)
    }

    /// Encrypts `plaintext` (at most 4096 bytes) under the KMS key `keyID` (id, ARN or alias) bound to
    /// `context` (KMS's encryption context: Decrypt must give the same). Returns the ciphertext blob.
    public func encrypt(_ plaintext: [UInt8], keyID: String, context: [String: String]) throws -> [UInt8] {
        let body = "{\"KeyId\":\(keyID.jsonLiteral),\"Plaintext\":\(Base64.encode(plaintext).jsonLiteral),"
            + "\"EncryptionContext\":\(KMSClient.object(context))}"
        let answer = try call("Encrypt", keyID: keyID, body: body)
        guard let blob = answer["CiphertextBlob"]?.string.flatMap(Base64.decode), !blob.isEmpty else {
            throw KMSError.malformedAnswer(request: describe("Encrypt", keyID: keyID), problem: "no CiphertextBlob")
        }
        return blob
    }

    /// Decrypts `blob` made by `encrypt` with the same `context`. `keyID`, when given, must be the key that
    /// made it (KMS then refuses a blob of another key); a symmetric blob names its key itself.
    public func decrypt(_ blob: [UInt8], keyID: String?, context: [String: String]) throws -> [UInt8] {
        var body = "{\"CiphertextBlob\":\(Base64.encode(blob).jsonLiteral),\"EncryptionContext\":\(KMSClient.object(context))"
        if let keyID { body += ",\"KeyId\":\(keyID.jsonLiteral)" }
        body += "}"
        let answer = try call("Decrypt", keyID: keyID, body: body)
        guard let plaintext = answer["Plaintext"]?.string.flatMap(Base64.decode) else {
            throw KMSError.malformedAnswer(request: describe("Decrypt", keyID: keyID), problem: "no Plaintext")
        }
        return plaintext
    }

    /// "KMS Decrypt of key K at https://host", for messages: what was asked of whom, never the payload.
    func describe(_ operation: String, keyID: String?) -> String {
        "KMS \(operation)\(keyID.map { " with key \($0)" } ?? "") at \(configuration.endpointDescription)"
    }

    private func call(_ operation: String, keyID: String?, body: String) throws -> JSONValue {
        let what = describe(operation, keyID: keyID)
        let response = try configuration.retry.run(what, log: log, isTransient: KMSClient.isTransient) { _ in
            try attempt(operation, what: what, body: Array(body.utf8))
        }
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw KMSError.malformedAnswer(request: what, problem: "the answer is not JSON")
        }
    }

    /// One attempt, and one more with fresh credentials when KMS refused temporary ones as expired or unknown
    /// (`AWSCredentialProvider.refreshed`, as S3Client does).
    private func attempt(_ operation: String, what: String, body: [UInt8]) throws -> HTTPResponse {
        let credentials = try configuration.credentials.credentials()
        var response = try exchange(operation, what: what, body: body, signedWith: credentials)
        if let code = Self.credentialCode(response),
           let fresh = try configuration.credentials.refreshed(afterRefusalOf: credentials, code: code, status: response.status) {
            response = try exchange(operation, what: what, body: body, signedWith: fresh)
            if let code = Self.credentialCode(response) {
                throw CredentialError.refusedAfterRefresh(source: configuration.credentials.sourceDescription, request: what, code: code)
            }
        }
        guard response.isSuccess else {
            let (type, message) = Self.error(response)
            throw KMSError.refused(request: what, status: response.status, type: type, message: message)
        }
        return response
    }

    private func exchange(_ operation: String, what: String, body: [UInt8], signedWith credentials: AWSCredentials) throws -> HTTPResponse {
        let endpoint = configuration.endpoint
        var request = SigV4Signer.Request(method: "POST", path: "/", headers: [
            ("Host", endpoint.hostHeader(bucket: "")),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "TrentService.\(operation)"),
        ])
        let signer = SigV4Signer(credentials: credentials, region: configuration.region, service: "kms", mode: .generic)
        try signer.sign(&request, payloadHash: try SHA256Hasher.digest(body).lowercaseHex, at: AWSTimestamp.now())
        let clock = Stopwatch()
        let response: HTTPResponse
        do {
            let signed = HTTPRequest(method: "POST", url: "\(configuration.endpointDescription)/", headers: request.headers)
            response = try body.withUnsafeBytes { try http.perform(signed, body: $0) }
        } catch {
            log.debug("\(what) -> \(error) after \(Int(clock.seconds * 1000)) ms")
            throw error
        }
        log.debug("\(what) -> \(response.status) in \(Int(clock.seconds * 1000)) ms")
        return response
    }

    /// KMS's error type (the part after "#" of "com.amazonaws.kms#NotFoundException") and message.
    private static func error(_ response: HTTPResponse) -> (type: String, message: String) {
        let answer = try? JSONValue.parse(response.body)
        let type = (answer?["__type"]?.string).map { String($0.split(separator: "#").last ?? "") } ?? "HTTP\(response.status)"
        return (type, answer?["message"]?.string ?? answer?["Message"]?.string ?? "")
    }

    /// The S3-style code (`AWSCredentialProvider.tokenCodes`) of a refusal that says the credentials expired or are
    /// unknown; nil for any other answer.
    private static func credentialCode(_ response: HTTPResponse) -> String? {
        guard !response.isSuccess else { return nil }
        switch error(response).type {
        case "ExpiredTokenException": return "ExpiredToken"
        case "UnrecognizedClientException": return "InvalidToken"
        default: return nil
        }
    }

    static func isTransient(_ error: Error) -> Bool {
        switch error {
        case let error as HTTPTransportError: error.isTransient
        case let error as KMSError: error.isTransient
        default: false
        }
    }

    private static func object(_ members: [String: String]) -> String {
        "{" + members.sorted { $0.key < $1.key }.map { "\($0.key.jsonLiteral):\($0.value.jsonLiteral)" }.joined(separator: ",") + "}"
    }
}
