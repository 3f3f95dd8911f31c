import PITRSupport

/// Two storages written as one: what `backup-push` and `dump-push` store goes to the first and, in the same pass over
/// the encoded bytes, to the second (TAILTOWN_REPO2) at the same time (`MirroredUpload`), so the server is read once.
/// Everything else is the first's (`ForwardingStorage`).
/// The second never fails the first: once a write to it fails, the object is aborted there and `secondFailures` says
/// which (the command reports it, and `status` shows the difference as the copy's lag).
public final class MirroredStorage: ForwardingStorage {
    public var first: Storage { base }
    public let second: Storage
    private let log: Log
    /// The objects the second did not get, with why.
    public private(set) var secondFailures: [(key: String, reason: String)] = []

    public init(first: Storage, second: Storage, log: Log) {
        self.second = second
        self.log = log
        super.init(base: first)
    }

    func secondFailed(_ key: String, _ error: Error) {
        let reason = (error as? PITRError)?.description ?? "\(error)"
        if secondFailures.isEmpty { log.warning("\(second.describe(key)) is not written, the rest goes to \(first.describe("")) alone: \(reason)") }
        secondFailures.append((key, reason))
    }

    /// Not independent: the second's uploads may send through its one connection (S3).
    public override var uploadsAreIndependent: Bool { false }

    /// After the second failed once, the rest of the run goes to the first alone: an unreachable second would otherwise
    /// cost its retries on every object.
    public override func startUpload(_ key: String) throws -> Upload {
        let upload = try first.startUpload(key)
        guard secondFailures.isEmpty else { return MirroredUpload(key: key, first: upload, second: nil, storage: self) }
        do {
            return MirroredUpload(key: key, first: upload, second: try second.startUpload(key), storage: self)
        } catch {
            secondFailed(key, error)
            return MirroredUpload(key: key, first: upload, second: nil, storage: self)
        }
    }

    public override func makeDurable(_ key: String) throws {
        try first.makeDurable(key)
        do { try second.makeDurable(key) } catch { secondFailed(key, error) }
    }

    public override func remove(_ key: String) throws {
        try first.remove(key)
        do { try second.remove(key) } catch { secondFailed(key, error) }
    }

    @discardableResult
    public override func remove(keys: [String]) throws -> [LockedObject] {
        let locked = try first.remove(keys: keys)
        do { try second.remove(keys: keys) } catch { secondFailed(keys.first ?? "", error) }
        return locked
    }
}

/// One object written to both storages of a `MirroredStorage`, the same bytes, at the same time: the bytes for the
/// second are copied in chunks that a `HandOffThread` writes while the caller writes the first and encodes the next; both
/// commits run at once, and `commit` returns when both ended. Once a write to the second fails, its thread skips the
/// rest; the failure is reported at `commit`.
final class MirroredUpload: Upload {
    /// The bytes handed over at once, and how many such chunks may wait: more than an S3 part (17 MiB), so that the
    /// second's send of one part, which blocks its thread, overlaps the encoding of the next.
    static let chunkSize = 1 << 20
    static let chunksAhead = 24

    private let key: String
    private let first: Upload
    private let storage: MirroredStorage
    /// The second's upload and its first failure, touched only on `thread` until `close` returned.
    private let second: SecondUpload?
    private let thread: HandOffThread?
    private var chunk: [UInt8] = []

    private final class SecondUpload {
        let upload: Upload
        var failure: Error?
        init(_ upload: Upload) { self.upload = upload }
    }

    /// Writes the second in the caller's thread when no thread can be started.
    init(key: String, first: Upload, second: Upload?, storage: MirroredStorage) {
        self.key = key
        self.first = first
        self.storage = storage
        self.second = second.map(SecondUpload.init)
        thread = second == nil ? nil : try? HandOffThread(depth: Self.chunksAhead)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if second != nil {
            chunk += bytes
            if chunk.count >= Self.chunkSize { handChunk() }
        }
        try first.write(bytes)
    }

    func commit() throws -> CommitOutcome {
        var secondCommitted = false
        if let second {
            handChunk()
            onSecond {
                guard second.failure == nil else { return second.upload.abort() }
                do { _ = try second.upload.commit(); secondCommitted = true } catch { second.failure = error }
            }
        }
        let outcome: CommitOutcome
        do {
            outcome = try first.commit()
        } catch {
            thread?.close()
            // What the first does not hold, the second must not either.
            if secondCommitted { try? storage.second.remove(key) }
            throw error
        }
        thread?.close()
        if let failure = second?.failure { storage.secondFailed(key, failure) }
        return outcome
    }

    func abort() {
        if let second { onSecond { second.upload.abort() } }
        thread?.close()
        first.abort()
    }

    private func handChunk() {
        guard let second, !chunk.isEmpty else { return }
        let bytes = chunk
        chunk = []
        chunk.reserveCapacity(Self.chunkSize)
        onSecond {
            guard second.failure == nil else { return }
            do { try bytes.withUnsafeBytes { try second.upload.write($0) } } catch { second.failure = error }
        }
    }

    private func onSecond(_ work: @escaping () -> Void) {
        if let thread { thread.hand(work) } else { work() }
    }
}
