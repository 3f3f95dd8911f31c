import PITRSupport

/// Reads an object in ranged GETs of at most `chunkSize` bytes, so memory stays bounded
/// whatever the object's size. A GET cut short is resumed from the first byte missing;
/// later ranges (and the first one resumed) carry If-Match with the first answer's ETag, so an object replaced
/// mid-read never mixes two versions: it fails with `S3Error.changedWhileRead` (objects are written once, so only
/// something outside tailtown-pitr replaces one; the caller's next attempt reads the new version whole).
///
/// An object larger than one chunk (a backup piece) is read ahead: while the caller decodes one
/// chunk, the next one downloads on a second connection, so the network and the decoding overlap
/// (two chunks in memory at most). An object of one chunk (a WAL segment) uses one connection.
/// `S3ObjectSequence` carries the read-ahead on from one object to the next.
final class S3ObjectReader: ByteSource {
    private let client: S3Client
    private let objectKey: String
    /// The version read (one a delete marker hides, `S3Storage.hiddenVersion`), nil for the current one.
    private let versionID: String?
    private let chunkSize: Int
    /// Opens the second connection for reading ahead; nil reads one chunk at a time.
    private let openReadAheadClient: (() throws -> S3Client)?
    /// The second connection, opened at the first read-ahead and used by one download at a time.
    private var readAheadClient: S3Client?
    private var buffer: [UInt8] = []
    private var bufferOffset = 0
    /// The object's offset of the next byte to fetch.
    private var fetched = 0
    private var size: Int?
    private var etag: String?
    private var readAhead: ReadAhead?
    /// The first chunk while it downloads on a thread of its own, read as it arrives (`bufferOffset` counts the bytes
    /// read); nil once it is whole.
    private var arriving: (bytes: ArrivingBytes, download: ReadAhead)?

    /// Called once, when the object's last chunk is taken: the read-ahead connection is free from then on.
    private var onLastChunk: (() -> Void)?

    /// Starts fetching the first chunk on a thread of its own and returns once its first bytes arrived, which the
    /// reader then takes as they come; throws `StorageError.notFound` when the object does not exist.
    convenience init(client: S3Client, objectKey: String, versionID: String? = nil, chunkSize: Int,
                     openReadAheadClient: (() throws -> S3Client)? = nil) throws {
        let chunkSize = max(chunkSize, 1 << 16)
        let bytes = ArrivingBytes(capacity: chunkSize)
        let download = ReadAhead("GET \(client.describe(objectKey))") {
            try Self.fetch(client: client, objectKey: objectKey, versionID: versionID, from: 0, chunkSize: chunkSize, size: nil, etag: nil,
                           into: bytes)
        }
        if bytes.waitForFirst() {
            self.init(client: client, objectKey: objectKey, versionID: versionID, chunkSize: chunkSize, openReadAheadClient: openReadAheadClient,
                      arriving: (bytes, download))
        } else {
            // Nothing came: an empty object, or a failure (a missing object) thrown here.
            let first = try download.finish().get()
            self.init(client: client, objectKey: objectKey, versionID: versionID, first: first, chunkSize: chunkSize,
                      openReadAheadClient: openReadAheadClient)
        }
    }

    private init(client: S3Client, objectKey: String, versionID: String?, chunkSize: Int, openReadAheadClient: (() throws -> S3Client)?,
                 arriving: (bytes: ArrivingBytes, download: ReadAhead)) {
        self.client = client
        self.objectKey = objectKey
        self.versionID = versionID
        self.chunkSize = chunkSize
        self.openReadAheadClient = openReadAheadClient
        self.arriving = arriving
    }

    /// A reader whose first chunk (from byte 0) was fetched already; `onLastChunk` as above.
    init(client: S3Client, objectKey: String, versionID: String? = nil, first: Chunk, chunkSize: Int, openReadAheadClient: (() throws -> S3Client)?,
         onLastChunk: (() -> Void)? = nil) {
        self.client = client
        self.objectKey = objectKey
        self.versionID = versionID
        self.chunkSize = max(chunkSize, 1 << 16)
        self.openReadAheadClient = openReadAheadClient
        self.onLastChunk = onLastChunk
        take(first)
    }

    deinit {
        // A reader dropped mid-object still waits for its download threads.
        if let arriving {
            arriving.bytes.abandon()
            _ = arriving.download.finish()
        }
        _ = readAhead?.finish()
    }

    func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        // Below, 0 bytes from the arriving chunk means its end.
        guard !destination.isEmpty else { return 0 }
        if let (bytes, download) = arriving {
            let count = bytes.read(into: destination, at: bufferOffset)
            bufferOffset += count
            if count > 0 { return count }
            // Every byte is read: the download's answer (its failure, or what it said of the whole object) decides.
            arriving = nil
            take(try download.finish().get())
            bufferOffset = buffer.count
        }
        if bufferOffset == buffer.count {
            guard let size, fetched < size else { return 0 }
            // The consumed chunk goes first, so at most two are held (this one and the one read ahead).
            buffer = []
            bufferOffset = 0
            if let pending = readAhead {
                readAhead = nil
                take(try pending.finish().get())
            } else {
                take(try Self.fetch(client: client, objectKey: objectKey, versionID: versionID, from: fetched, chunkSize: chunkSize, size: size, etag: etag))
            }
            if bufferOffset == buffer.count { return 0 }
        }
        let count = min(destination.count, buffer.count - bufferOffset)
        buffer.withUnsafeBytes { source in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[bufferOffset..<bufferOffset + count]))
        }
        bufferOffset += count
        return count
    }

    /// Makes `chunk` the buffer and starts reading the next one ahead when there is one.
    private func take(_ chunk: Chunk) {
        buffer = chunk.bytes
        bufferOffset = 0
        fetched = chunk.start + chunk.bytes.count
        size = chunk.size
        if etag == nil { etag = chunk.etag }
        guard let size, fetched < size else {
            onLastChunk?()
            onLastChunk = nil
            return
        }
        guard let open = openReadAheadClient else { return }
        if readAheadClient == nil {
            do {
                readAheadClient = try open()
            } catch {
                client.log.debug("reading \(client.describe(objectKey)) one chunk at a time: \(error)")
                return
            }
        }
        guard let client = readAheadClient else { return }
        let (objectKey, versionID, chunkSize, from, etag) = (self.objectKey, self.versionID, self.chunkSize, fetched, etag)
        readAhead = ReadAhead("GET \(client.describe(objectKey))") {
            try Self.fetch(client: client, objectKey: objectKey, versionID: versionID, from: from, chunkSize: chunkSize, size: size, etag: etag)
        }
    }

    /// One chunk of the object and what its answer said about the whole.
    struct Chunk {
        let start: Int
        let bytes: [UInt8]
        let size: Int
        let etag: String?
    }

    /// GETs the bytes from `start` (at most `chunkSize`), retrying transient failures and resuming
    /// after the bytes an interrupted attempt delivered. `size` and `etag` are what earlier chunks said.
    /// The bytes go into `arriving` as they come when one is given (a reader on another thread takes them there).
    static func fetch(client: S3Client, objectKey: String, versionID: String? = nil, from start: Int, chunkSize: Int, size: Int?,
                      etag: String?, into arriving: ArrivingBytes? = nil) throws -> Chunk {
        let end = size.map { min($0, start + chunkSize) } ?? start + chunkSize
        let chunk = arriving ?? ArrivingBytes(capacity: end - start)
        var total = size
        var answeredTag: String?
        let what = "GET \(client.describe(objectKey))"
        do {
            try client.retrying(what) { _ in
                // Resume after what earlier attempts delivered.
                let from = start + chunk.count
                var headers: [(name: String, value: String)] = [("Range", "bytes=\(from)-\(end - 1)")]
                // Later ranges, and this one resumed after a cut, must be the version the read began with.
                if let etag = etag ?? answeredTag { headers.append(("If-Match", etag)) }
                let operation = try S3Client.Operation(method: "GET", key: objectKey, query: versionID.map { [("versionId", $0)] } ?? [],
                                                       headers: headers, accepting: [403, 404, 412, 416])
                // The object's offset of the answer's next byte: a 206 starts where it was asked to, a 200 (the server
                // ignored the range) at byte 0. Only the bytes the chunk still lacks are kept, so every byte kept is
                // final, and after a transport error the next attempt resumes after them.
                var offset: Int?
                let response = try client.attempt(operation) { answer, bytes in
                    // Taken with the first bytes, so that an attempt cut short leaves its ETag for the next.
                    if answeredTag == nil { answeredTag = answer.header("etag") }
                    let first = offset ?? (answer.status == 200 ? 0 : from)
                    offset = first + bytes.count
                    let lower = start + chunk.count - first, upper = min(end - first, bytes.count)
                    if lower < upper { try chunk.append(UnsafeRawBufferPointer(rebasing: bytes[lower..<upper])) }
                }
                switch response.status {
                case 404:
                    guard client.isMissingKey(response) else { throw client.refusal(operation, response) }
                    throw StorageError.notFound(object: client.describe(objectKey))
                case 412:
                    throw S3Error.changedWhileRead(object: client.describe(objectKey))
                case 403:
                    throw try S3Storage.settleForbidden(client: client, objectKey: objectKey, response: response, operation: operation)
                case 416 where from == 0:
                    // A range of an empty object is unsatisfiable: the object exists and is empty.
                    total = 0
                    return
                case 416:
                    throw client.refusal(operation, response)
                case 200:
                    // The whole object, from byte 0.
                    total = offset ?? 0
                default:
                    guard let whole = S3ObjectReader.totalSize(response.header("content-range")) else {
                        throw S3Error.malformedAnswer(request: what, problem: "206 without a valid Content-Range")
                    }
                    total = whole
                }
                if answeredTag == nil { answeredTag = response.header("etag") }
            }
        } catch {
            chunk.end()
            throw error
        }
        let bytes = chunk.end()
        let whole = total ?? start + bytes.count
        if start + bytes.count < whole, bytes.isEmpty {
            throw S3Error.malformedAnswer(request: what, problem: "an empty range where \(whole - start) bytes remain")
        }
        return Chunk(start: start, bytes: bytes, size: whole, etag: etag ?? answeredTag)
    }

    /// The total of "bytes 0-99/1234".
    static func totalSize(_ contentRange: String?) -> Int? {
        guard let contentRange, let slash = contentRange.lastIndex(of: "/") else { return nil }
        return Int(contentRange[contentRange.index(after: slash)...])
    }

    /// A chunk downloading on a thread of its own (the next one of an object, or `S3ObjectSequence`'s next object's first).
    final class ReadAhead {
        /// Set by the download before its thread ends (or at once without a thread).
        private var result: Result<Chunk, Error>?
        private var thread: WorkerThread?
        private let what: String

        init(_ what: String, _ download: @escaping () throws -> Chunk) {
            self.what = what
            do {
                thread = try WorkerThread { self.result = Result { try download() } }
            } catch {
                // No thread: the download runs here, now, as without read-ahead.
                result = Result { try download() }
            }
        }

        /// Waits for the download and returns what it got.
        func finish() -> Result<Chunk, Error> {
            thread?.join()
            thread = nil
            // Never "not found": that would read as the end of the archive.
            return result ?? .failure(S3Error.malformedAnswer(request: what, problem: "the read-ahead ended without an answer"))
        }
    }
}
