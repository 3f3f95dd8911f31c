import Testing
@testable import PITRNative
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// The KMS client against moto's KMS (server mode, the shared moto server).
@Suite struct KMSClientTests {
    static func client(endpoint: String? = nil) throws -> KMSClient {
        let url = try endpoint ?? MotoServer.endpoint()
        let parsed = try #require(S3Endpoint.parse(url, style: .path))
        let configuration = KMSConfiguration(
            endpoint: parsed, region: "us-east-1", credentials: AWSCredentialProvider(S3TestRepository.credentials),
            retry: RetryPolicy(maxRetries: 1, budgetSeconds: 2, baseDelaySeconds: 0.01, maxDelaySeconds: 0.05))
        return try KMSClient(configuration: configuration, log: Log(level: .error))
    }

    @Test func encryptsAndDecryptsBoundToTheContext() throws {
        let key = try MotoServer.createKMSKey()
        let kms = try Self.client()
        let secret = (0..<32).map { UInt8($0) }
        let blob = try kms.encrypt(secret, keyID: key, context: ["tailtown-pitr-key-id": "0011223344556677"])
        #expect(blob.count > 32 && !blob.contains(subsequence: secret))
        #expect(try kms.decrypt(blob, keyID: nil, context: ["tailtown-pitr-key-id": "0011223344556677"]) == secret)
        #expect(try kms.decrypt(blob, keyID: key, context: ["tailtown-pitr-key-id": "0011223344556677"]) == secret)

        // Another context (another key id) or a changed blob is refused, with KMS's error and the request named.
        let other = #expect(throws: KMSError.self) { try kms.decrypt(blob, keyID: nil, context: ["tailtown-pitr-key-id": "ffffffffffffffff"]) }
        #expect(other?.description.hasPrefix("KMS Decrypt at http://127.0.0.1:") == true)
        #expect(other?.description.contains("InvalidCiphertextException") == true)
        var changed = blob
        changed[changed.count - 1] ^= 1
        #expect(throws: KMSError.self) { try kms.decrypt(changed, keyID: nil, context: ["tailtown-pitr-key-id": "0011223344556677"]) }
    }

    @Test func anUnknownKeyIsNamedWithAHint() throws {
        let kms = try Self.client()
        let error = #expect(throws: KMSError.self) { try kms.encrypt([1, 2, 3], keyID: "alias/no-such-key", context: [:]) }
        #expect(error?.description.contains("KMS Encrypt with key alias/no-such-key at http://127.0.0.1:") == true)
        #expect(error?.description.contains("NotFoundException") == true)
        #expect(error?.description.contains("check TAILTOWN_KMS_KEY_ID") == true)
    }

    @Test func anUnreachableEndpointGivesUpQuickly() throws {
        let kms = try Self.client(endpoint: "http://127.0.0.1:9")
        let clock = Stopwatch()
        let error = #expect(throws: StorageError.self) { try kms.decrypt([1, 2, 3], keyID: nil, context: [:]) }
        #expect(clock.seconds < 5)
        #expect(error?.description.hasPrefix("cannot reach KMS Decrypt at http://127.0.0.1:9") == true)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<$0 + subsequence.count]) == subsequence }
    }
}
