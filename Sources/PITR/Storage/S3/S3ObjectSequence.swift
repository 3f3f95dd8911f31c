import PITRSupport

/// Objects read one after another (a backup archive's pieces) with the read-ahead of `S3ObjectReader` carried
/// across them: once the current object's last chunk is taken, the next object's first chunk downloads on the
/// read-ahead connection while the caller reads that last chunk, so no object but the first starts with a wait.
/// Two chunks in memory at most, as within one object; one read-ahead connection serves every object. An object that a
/// delete marker hides is read through it (`S3Storage.hiddenVersion`).
final class S3ObjectSequence: ObjectSequence {
    private let client: S3Client
    private let chunkSize: Int
    private var objectKeys: ArraySlice<String>
    private let openReadAheadClient: () throws -> S3Client
    /// The version of an object key that a delete marker hides, nil when there is none.
    private let hiddenVersion: (String) throws -> String?
    private var readAheadClient: S3Client?
    /// The first chunk of `objectKeys.first`, downloading.
    private var pending: S3ObjectReader.ReadAhead?

    init(client: S3Client, objectKeys: [String], chunkSize: Int, openReadAheadClient: @escaping () throws -> S3Client,
         hiddenVersion: @escaping (String) throws -> String?) {
        self.client = client
        self.objectKeys = objectKeys[...]
        self.chunkSize = max(chunkSize, 1 << 16)
        self.openReadAheadClient = openReadAheadClient
        self.hiddenVersion = hiddenVersion
    }

    deinit {
        // Dropped before the next object was asked for: its download still ends before the connection goes.
        _ = pending?.finish()
    }

    func next() throws -> ByteSource? {
        guard let objectKey = objectKeys.popFirst() else { return nil }
        var versionID: String?
        let first: S3ObjectReader.Chunk
        do {
            if let download = pending {
                pending = nil
                first = try download.finish().get()
            } else {
                first = try S3ObjectReader.fetch(client: client, objectKey: objectKey, from: 0, chunkSize: chunkSize, size: nil, etag: nil)
            }
        } catch StorageError.notFound(let object) {
            guard let hidden = try hiddenVersion(objectKey) else { throw StorageError.notFound(object: object) }
            versionID = hidden
            first = try S3ObjectReader.fetch(client: client, objectKey: objectKey, versionID: hidden, from: 0, chunkSize: chunkSize, size: nil, etag: nil)
        }
        return S3ObjectReader(client: client, objectKey: objectKey, versionID: versionID, first: first, chunkSize: chunkSize,
                              openReadAheadClient: { try self.readAheadConnection() },
                              onLastChunk: { [weak self] in self?.startNext() })
    }

    /// Starts the next object's first chunk on the read-ahead connection (free once the current object's last
    /// chunk is taken); without one, `next` fetches it when asked.
    private func startNext() {
        guard pending == nil, let objectKey = objectKeys.first else { return }
        let client: S3Client
        do {
            client = try readAheadConnection()
        } catch {
            self.client.log.debug("reading \(self.client.describe(objectKey)) when asked for: \(error)")
            return
        }
        let chunkSize = self.chunkSize
        pending = S3ObjectReader.ReadAhead("GET \(client.describe(objectKey))") {
            try S3ObjectReader.fetch(client: client, objectKey: objectKey, from: 0, chunkSize: chunkSize, size: nil, etag: nil)
        }
    }

    private func readAheadConnection() throws -> S3Client {
        if let readAheadClient { return readAheadClient }
        let opened = try openReadAheadClient()
        readAheadClient = opened
        return opened
    }
}
