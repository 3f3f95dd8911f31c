import PITRNative
import PITRSupport

/// Everything the S3 driver needs, resolved from settings (see `S3Configuration.load`).
public struct S3Configuration: Sendable {
    public enum ServerSideEncryption: Sendable, Equatable {
        case aes256
        /// SSE-KMS with the given key, or the bucket's default KMS key when nil.
        case kms(keyID: String?)
    }

    public static let minimumPartSize = 5 << 20
    /// A WAL segment of 16 MiB stored whole (lz4 that could not shrink it, with its framing) fits in one PUT and
    /// one GET; and backup-push, which holds one part, and restore, which holds two ranges, stay under 64 MiB.
    public static let defaultPartSize = 17 << 20
    public static let minimumReadSize = 1 << 20
    public static let defaultReadSize = 17 << 20

    public var bucket: String
    /// The folder of the repository inside the bucket: no leading or trailing slash, "" for the root.
    public var prefix: String
    public var endpoint: S3Endpoint
    public var region: String
    public var credentials: AWSCredentialProvider
    /// The storage class of new objects by kind, and the classes backups move to as they age.
    public var storageClasses: S3StorageClasses
    public var serverSideEncryption: ServerSideEncryption?
    /// Object Lock on every new object; nil writes objects without a lock.
    public var objectLock: S3ObjectLock?
    /// Bytes per multipart part, and the most an upload buffers: an object up to this size
    /// goes in one PUT; larger ones use multipart upload.
    public var partSize: Int
    /// Bytes per ranged GET when an object is read; a larger object is read ahead, so two ranges are in
    /// memory at most. Apart from `partSize`, which only bounds what an upload buffers.
    public var readSize: Int
    public var retry: RetryPolicy
    public var http: HTTPClientOptions

    public init(bucket: String, prefix: String = "", endpoint: S3Endpoint, region: String = "us-east-1",
                credentials: AWSCredentialProvider, storageClasses: S3StorageClasses = S3StorageClasses(), serverSideEncryption: ServerSideEncryption? = nil,
                objectLock: S3ObjectLock? = nil,
                partSize: Int = S3Configuration.defaultPartSize, readSize: Int = S3Configuration.defaultReadSize, retry: RetryPolicy = RetryPolicy(),
                http: HTTPClientOptions = HTTPClientOptions()) {
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.storageClasses = storageClasses
        self.serverSideEncryption = serverSideEncryption
        self.objectLock = objectLock
        self.partSize = partSize
        self.readSize = readSize
        self.retry = retry
        self.http = http
    }

    /// The same with fixed keys.
    public init(bucket: String, prefix: String = "", endpoint: S3Endpoint, region: String = "us-east-1",
                credentials: AWSCredentials, partSize: Int = S3Configuration.defaultPartSize, readSize: Int = S3Configuration.defaultReadSize,
                retry: RetryPolicy = RetryPolicy()) {
        self.init(bucket: bucket, prefix: prefix, endpoint: endpoint, region: region, credentials: AWSCredentialProvider(credentials),
                  partSize: partSize, readSize: readSize, retry: retry)
    }

    /// The object key of a repository-relative key.
    func objectKey(_ key: String) -> String {
        prefix.isEmpty ? key : "\(prefix)/\(key)"
    }

    /// The repository-relative key of an object key under the prefix.
    func repositoryKey(_ objectKey: String) -> String {
        prefix.isEmpty ? objectKey : String(objectKey.dropFirst(prefix.count + 1))
    }

    /// Headers that every new object carries (its lock, when locked, ends `objectLock.secondsAtWrite` after `now`; its
    /// class, that of its kind by its repository-relative `key`).
    func newObjectHeaders(key: String, now: UTCTime = .now()) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = objectLock?.headers(now: now) ?? []
        if let storageClass = storageClasses.forNewObject(key) { headers.append(("x-amz-storage-class", storageClass)) }
        switch serverSideEncryption {
        case .aes256:
            headers.append(("x-amz-server-side-encryption", "AES256"))
        case .kms(let keyID):
            headers.append(("x-amz-server-side-encryption", "aws:kms"))
            if let keyID { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", keyID)) }
        case nil:
            break
        }
        return headers
    }
}
