import PITRBackup
import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport

/// One `dump-push` run: its finished dumps (globals first, then databases by name).
public struct DumpRun: Equatable, Sendable {
    public let name: String
    public let dumps: [DumpDescriptor]
    /// When the last of its dumps finished: what retention and `check --max-dump-age` count from.
    public var stopTime: UTCTime { dumps.map(\.stopTime).max() ?? UTCTime(secondsSinceEpoch: 0) }
    public var startTime: UTCTime { dumps.map(\.startTime).min() ?? UTCTime(secondsSinceEpoch: 0) }
    public var storedBytes: Int { dumps.reduce(0) { $0 + $1.storedBytes } }
    public var rawBytes: Int { dumps.reduce(0) { $0 + $1.rawBytes } }
    public var databases: [String] { dumps.compactMap(\.database) }

    /// The dump of the roles and tablespaces.
    public func globals() throws -> DumpDescriptor {
        guard let dump = dumps.first(where: { !$0.isCustomFormat }) else {
            throw DumpError.noSuchDumpDatabase(dump: name, database: "(globals)", present: databases)
        }
        return dump
    }

    /// The dump of `database`, or the only database's when nil.
    public func dump(of database: String?) throws -> DumpDescriptor {
        if let database {
            guard let dump = dumps.first(where: { $0.database == database }) else {
                throw DumpError.noSuchDumpDatabase(dump: name, database: database, present: databases)
            }
            return dump
        }
        let custom = dumps.filter(\.isCustomFormat)
        guard custom.count == 1 else { throw DumpError.databaseNeeded(dump: name, present: databases) }
        return custom[0]
    }
}

/// The finished dumps of a repository (those with a descriptor), and what killed runs left.
public struct DumpCatalog {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Every finished run with at least one dump, oldest first; a run whose lease stands (in progress, or killed) is not
    /// listed. Throws on the first descriptor that cannot be used: what deletes or vouches for dumps must not act on a
    /// partial list.
    public func list() throws -> [DumpRun] {
        try scan().runs
    }

    /// The finished runs, and the keys under `dumps/` by run.
    private func scan() throws -> (runs: [DumpRun], keys: [String: [String]]) {
        let state = try repository.recordedState()
        var keys: [String: [String]] = [:]
        for key in try repository.storage.list(prefix: DumpDescriptor.folder + "/") {
            let parts = key.split(separator: "/")
            if parts.count == 3 { keys[String(parts[1]), default: []].append(String(parts[2])) }
        }
        var runs: [DumpRun] = []
        for (run, files) in keys where !files.contains(BackupLease.fileName) {
            var dumps: [DumpDescriptor] = []
            for file in files where file.hasSuffix(DumpDescriptor.suffix) {
                let key = DumpDescriptor.objectKey(run: run, object: file)
                guard let bytes = try repository.storage.readSmallObject(key) else { continue }
                dumps.append(try read(bytes, run: run, archive: String(file.dropLast(DumpDescriptor.suffix.count)),
                                      object: repository.storage.describe(key), state: state))
            }
            if !dumps.isEmpty {
                runs.append(DumpRun(name: run, dumps: dumps.sorted { ($0.database ?? "", $0.archive) < ($1.database ?? "", $1.archive) }))
            }
        }
        return (runs.sorted { $0.name < $1.name }, keys)
    }

    public func run(named name: String) throws -> DumpRun {
        guard let run = try list().first(where: { $0.name == name }) else { throw DumpError.noSuchDump(name) }
        return run
    }

    /// What no listed dump holds, by run: every object of a run whose lease stands (a `dump-push` in progress, or
    /// killed), and the objects of a finished run that none of its descriptors lists (a failed dump whose pieces could
    /// not be removed). `writerGone` says whether the lease names a process of this machine that is gone (nil: no lease,
    /// or one that cannot tell).
    package func leftovers() throws -> [(run: String, objects: [StoredObject], writerGone: Bool?)] {
        let (runs, keys) = try scan()
        let listed = Set(runs.flatMap { run in run.dumps.flatMap { dump in [dump.key] + dump.objects.map { DumpDescriptor.objectKey(run: run.name, object: $0.name) } } })
        let repositoryID = try repository.recordedState()?.repositoryID ?? ""
        var found: [(run: String, objects: [StoredObject], writerGone: Bool?)] = []
        for run in keys.keys.sorted() {
            let objects = try repository.storage.listObjects(prefix: DumpDescriptor.folder + "/" + run + "/").filter { !listed.contains($0.key) }
            guard !objects.isEmpty else { continue }
            let leaseKey = DumpDescriptor.objectKey(run: run, object: BackupLease.fileName)
            var gone: Bool?
            if case .sealed(let text, _)? = try? SealedMetadata.read(leaseKey, identity: Self.leaseIdentity(repository: repositoryID, run: run), in: repository),
               let lease = BackupLease(text) {
                gone = lease.writerIsGone
            }
            found.append((run, objects, gone))
        }
        return found
    }

    static func leaseIdentity(repository: String, run: String) -> ObjectIdentity {
        ObjectIdentity(["repository": repository, "dump": run, "file": BackupLease.fileName])
    }

    /// Stores `descriptor`, which makes its dump one; never replaces one.
    func store(_ descriptor: DumpDescriptor, options: ObjectOptions) throws {
        let identity = DumpDescriptor.descriptorIdentity(repository: try repository.state().repositoryID, run: descriptor.name, archive: descriptor.archive)
        guard try SealedMetadata.store(descriptor.text, at: descriptor.key, identity: identity, under: options.key, in: repository,
                                       compression: options.compression) == .stored else {
            throw DumpError.nameTaken(object: repository.storage.describe(descriptor.key))
        }
    }

    private func read(_ bytes: [UInt8], run: String, archive: String, object: String, state: RepositoryState?) throws -> DumpDescriptor {
        guard !run.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw DumpError.unreadableDescriptor(object: object, reason: "its folder's name holds a control character")
        }
        let identity = DumpDescriptor.descriptorIdentity(repository: state?.repositoryID ?? "", run: run, archive: archive)
        guard case .sealed(let text, _) = try SealedMetadata.decode(bytes, identity: identity, object: object, keyring: repository.keyring, limit: 1 << 24) else {
            throw DumpError.unreadableDescriptor(object: object, reason: "it is plain text, which no release writes: it was put there without the key")
        }
        var descriptor = try DumpDescriptor(text: text, object: object)
        guard descriptor.name == run, descriptor.archive == archive else {
            throw DumpError.unreadableDescriptor(object: object, reason: "it names dump \(descriptor.name) \(descriptor.archive)")
        }
        descriptor.repositoryID = state?.repositoryID ?? ""
        return descriptor
    }
}
