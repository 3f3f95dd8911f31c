/// Reads an object in ranged GETs of at most `chunkSize` bytes, so memory stays bounded
/// whatever the object's size. A GET cut short is resumed from the first byte missing;
/// later ranges carry If-Match with the first answer's ETag, so an object replaced
/// mid-read fails instead of mixing two versions.
final class S3ObjectReader: ByteSource {
    private let client: S3Client
    private let objectKey: String
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var bufferOffset = 0
    /// The object's offset of the next byte to fetch.
    private var fetched = 0
    private var size: Int?
    private var etag: String?

    /// Fetches the first chunk; throws `StorageError.notFound` when the object does not exist.
    init(client: S3Client, objectKey: String, chunkSize: Int) throws {
        self.client = client
        self.objectKey = objectKey
        self.chunkSize = max(chunkSize, 1 << 16)
        try fetchChunk()
    }

    func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        if bufferOffset == buffer.count {
            guard let size, fetched < size else { return 0 }
            try fetchChunk()
            if bufferOffset == buffer.count { return 0 }
        }
        let count = min(destination.count, buffer.count - bufferOffset)
        buffer.withUnsafeBytes { source in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[bufferOffset..<bufferOffset + count]))
        }
        bufferOffset += count
        return count
    }

    private func fetchChunk() throws {
        // The previous chunk is consumed: free it first, so at most one chunk is held.
        buffer = []
        bufferOffset = 0
        let start = fetched
        let end = size.map { min($0, start + chunkSize) } ?? start + chunkSize
        var chunk: [UInt8] = []
        chunk.reserveCapacity(end - start)
        let what = "GET \(client.describe(objectKey))"
        try client.retrying(what) { _ in
            // Resume after what earlier attempts delivered.
            let from = start + chunk.count
            var headers: [(name: String, value: String)] = [("Range", "bytes=\(from)-\(end - 1)")]
            if let etag { headers.append(("If-Match", etag)) }
            let operation = try S3Client.Operation(method: "GET", key: objectKey, headers: headers, accepting: [403, 404, 416])
            // Bytes go straight into the chunk: after a transport error they stay there and the
            // next attempt resumes after them (a 200 answer below replaces them all).
            let before = chunk.count
            let response = try client.attempt(operation) { chunk += $0 }
            switch response.status {
            case 404:
                guard client.isMissingKey(response) else { throw client.refusal(operation, response) }
                throw StorageError.notFound(object: client.describe(objectKey))
            case 403:
                throw try S3Storage.disambiguateForbidden(client: client, objectKey: objectKey, response: response, operation: operation)
            case 416 where from == 0:
                // A range of an empty object is unsatisfiable: the object exists and is empty.
                size = 0
                return
            case 416:
                throw client.refusal(operation, response)
            case 200:
                // The server ignored the range and sent the whole object from byte 0.
                let body = chunk[before...]
                size = body.count
                chunk = Array(body.dropFirst(start).prefix(chunkSize))
            default:
                guard let total = S3ObjectReader.totalSize(response.header("content-range")) else {
                    throw S3Error.malformedAnswer(request: what, problem: "206 without a valid Content-Range")
                }
                size = total
            }
            if etag == nil { etag = response.header("etag") }
        }
        buffer = chunk
        bufferOffset = 0
        fetched = start + chunk.count
        if let size, fetched < size, chunk.isEmpty {
            throw S3Error.malformedAnswer(request: what, problem: "an empty range where \(size - fetched) bytes remain")
        }
    }

    /// The total of "bytes 0-99/1234".
    static func totalSize(_ contentRange: String?) -> Int? {
        guard let contentRange, let slash = contentRange.lastIndex(of: "/") else { return nil }
        return Int(contentRange[contentRange.index(after: slash)...])
    }
}
