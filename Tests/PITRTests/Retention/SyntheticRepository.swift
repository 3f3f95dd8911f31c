import Foundation
@testable import PITRBackup
import PITRNative
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL
import TestSupport

/// A repository (a file:// folder, or the storage given) filled with real objects (encoded through
/// the pipeline) and real backup descriptors, but made-up WAL content: enough for retention, verify
/// and status, which never look inside a segment.
final class SyntheticRepository {
    /// The folder of a file:// repository; empty on other storage.
    let root: String
    let storage: Storage
    let repository: Repository
    let identity: ClusterIdentity
    let segmentSize: WALSegmentSize
    let archive: WALArchive

    /// `identity` gives the archive's cluster; a second instance on the first one's `storage` adds another cluster.
    init(key: MasterKey? = nil, storage given: Storage? = nil, segmentSize: WALSegmentSize = .standard,
         identity: ClusterIdentity = ClusterIdentity(majorVersion: 15, systemIdentifier: 7_300_000_000_000_000_001)) throws {
        self.identity = identity
        root = given == nil ? NSTemporaryDirectory() + "tailtown-synthetic-\(UUID().uuidString)" : ""
        storage = given ?? FileStorage(root: root)
        self.segmentSize = segmentSize
        repository = Repository(storage: storage, key: key)
        try repository.checkEncryption()
        archive = WALArchive(repository: repository, identity: identity)
        try archive.checkKeyAndSegmentSize(segmentSize, file: "test")
    }

    deinit { if !root.isEmpty { try? FileManager.default.removeItem(atPath: root) } }

    /// About an hour before `now`, but in `now`'s month with its start a minute before: just after midnight on the 1st, an hour
    /// before would lie in the month that just ended, and a monthly policy would keep (and tag) that backup as well.
    static func anHourAgoThisMonth(_ now: UTCTime) -> String {
        let monthStart = RetentionClass.monthly.period(of: now).flatMap(RetentionClass.monthly.start(ofPeriod:)) ?? now
        return UTCTime(secondsSinceEpoch: min(now.secondsSinceEpoch, max(monthStart.secondsSinceEpoch + 60, now.secondsSinceEpoch - 3_600))).iso8601
    }

    /// Stores `content` as a pipeline object (header, lz4 payload, trailer) bound to `identity`.
    func putObject(_ key: String, _ content: [UInt8], as identity: ObjectIdentity = .test) throws {
        let upload = try storage.startUpload(key)
        _ = try ObjectEncoder(options: ObjectOptions(compression: .lz4, key: repository.key))
            .encode(from: MemorySource(content), to: upload, as: identity, lastPiece: { identity.lastPiece })
        _ = try upload.commit()
    }

    /// Stores `content` as the archived WAL file `file`.
    func putWAL(_ file: WALFileName, _ content: [UInt8]) throws {
        try putObject(walKey(file), content, as: try archive.objectIdentity(of: file))
    }

    func segment(_ timeline: UInt32, _ number: UInt64) -> WALSegmentName {
        WALSegmentName(timeline: TimelineID(timeline), number: number, segmentSize: segmentSize)
    }

    func walKey(_ file: WALFileName) -> String { archive.key(for: file) }

    func addSegments(timeline: UInt32 = 1, _ numbers: ClosedRange<UInt64>) throws {
        for n in numbers {
            let name = segment(timeline, n)
            try putWAL(.segment(name), Array("segment \(name)".utf8))
        }
    }

    /// A history file: `ancestors` as (parent timeline, switchpoint segment number), oldest first.
    func addHistory(timeline: UInt32, ancestors: [(UInt32, UInt64)]) throws {
        let text = ancestors.map { "\($0.0)\t\(LSN($0.1 * segmentSize.bytes + 0x28))\tno recovery target specified\n" }.joined()
        try putWAL(.history(TimelineID(timeline)), Array(text.utf8))
    }

    /// A finished backup: one tar piece (`padding` random bytes longer), the manifest, its .backup file, then its descriptor.
    /// It starts in segment `start` and stops in segment `stop` of `timeline`; with a `parent`, it is an incremental on it.
    @discardableResult
    func addBackup(stoppedAt stop: String, start: UInt64, stop stopSegment: UInt64? = nil, timeline: UInt32 = 1,
                   parent: BackupDescriptor? = nil, padding: Int = 0) throws -> BackupDescriptor {
        guard let stopTime = UTCTime(iso8601: stop) else { throw CocoaError(.formatting) }
        let startLSN = LSN(start * segmentSize.bytes + 0x28)
        let stopLSN = LSN((stopSegment ?? start) * segmentSize.bytes + 0x100)
        let startTime = UTCTime(secondsSinceEpoch: stopTime.secondsSinceEpoch - 60)
        let name = BackupDescriptor.makeName(startTime: startTime, startSegment: segment(timeline, start))
        var objects: [BackupDescriptor.StoredObject] = []
        for (piece, archive) in [("base.tar.0000", "base.tar"), ("backup_manifest.0000", "backup_manifest")] {
            let content = Array("\(piece) of \(name)".utf8) + (piece.hasPrefix("base") ? try SecureRandom.bytes(padding) : [])
            let key = BackupDescriptor.objectKey(backup: name, object: piece)
            try putObject(key, content, as: BackupDescriptor.objectIdentity(repository: try repository.state().repositoryID, cluster: identity, backup: name, object: piece, lastPiece: true))
            objects.append(.init(name: piece, archive: archive, rawBytes: content.count, storedBytes: try storage.size(of: key) ?? 0))
        }
        let segmentName = segment(timeline, start)
        try putWAL(.backup(segmentName, offset: 0x28), Array("START WAL LOCATION: \(startLSN)".utf8))
        let descriptor = BackupDescriptor(
            name: name, label: "test", startLSN: startLSN, stopLSN: stopLSN, startTime: startTime, stopTime: stopTime,
            timeline: TimelineID(timeline), stopTimeline: TimelineID(timeline), systemIdentifier: identity.systemIdentifier,
            serverVersion: identity.majorVersion * 10000 + 4, segmentSize: segmentSize.bytes, tablespaces: [], compression: .lz4,
            cipher: repository.key == nil ? "none" : "aes-256-gcm", keyID: repository.key?.keyIDHex ?? "", objects: objects,
            type: parent == nil ? .full : .incremental, parent: parent?.name, detection: parent == nil ? nil : .blockCompare)
        try putDescriptor(descriptor)
        // Dated as when the backup ran, as a leftover of it would be.
        if !root.isEmpty {
            for key in try storage.list(prefix: BackupDescriptor.folder + "/" + name + "/") { try age(path(key), by: 0, before: stopTime) }
        }
        return descriptor
    }

    /// Writes a backup's descriptor as backup-push does last (plain text, not a pipeline object).
    func putDescriptor(_ descriptor: BackupDescriptor) throws {
        try BackupCatalog(repository: repository).store(descriptor, options: ObjectOptions(compression: .lz4, key: repository.key))
    }

    /// Activates each of `keys` in turn after the repository's key, as `keygen --activate` and the next push do: each
    /// seals `archive.info` again, under the next `archive.info.sealed.<number>`. Returns the repository as the key file
    /// then opens it: every key, the last active.
    @discardableResult
    func rotate(through keys: [MasterKey]) throws -> Repository {
        var retired = repository.key.map { [$0] } ?? []
        for key in keys {
            guard !retired.isEmpty, let keyring = Keyring(retired.map { (.retired, $0) } + [(.active, key)]) else { throw CocoaError(.featureUnsupported) }
            try WALArchive(repository: Repository(storage: storage, keyring: keyring), identity: identity)
                .checkKeyAndSegmentSize(segmentSize, file: "the first after the activation")
            retired.append(key)
        }
        guard let active = retired.last, let keyring = Keyring(retired.dropLast().map { (.retired, $0) } + [(.active, active)]) else {
            throw CocoaError(.featureUnsupported)
        }
        return Repository(storage: storage, keyring: keyring)
    }

    /// Every visible key, sorted.
    func keys() throws -> [String] { try storage.list(prefix: "") }

    func path(_ key: String) -> String { root + "/" + key }

    /// Sets a file's modification time, as if it had been written `age` seconds before `now`.
    func age(_ path: String, by age: Int64, before now: UTCTime) throws {
        let date = Date(timeIntervalSince1970: TimeInterval(now.secondsSinceEpoch - age))
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
    }
}

extension SyntheticRepository {
    /// A repository in a new moto bucket with Object Lock, new objects locked for `horizon` + `margin` seconds, in `classes`.
    static func locked(_ name: String, margin: Int64, horizon: Int64, classes: S3StorageClasses = S3StorageClasses(),
                       key: MasterKey? = nil) throws -> (S3Storage, SyntheticRepository) {
        let bucket = MotoServer.uniqueBucket(name)
        try MotoServer.createBucket(bucket, objectLock: true)
        var configuration = try S3TestRepository.configuration(bucket: bucket, prefix: "pg")
        configuration.objectLock = S3ObjectLock(mode: .governance, margin: margin, horizon: horizon)
        configuration.storageClasses = classes
        let storage = try S3Storage(configuration: configuration, log: Log(level: .error))
        return (storage, try SyntheticRepository(key: key, storage: storage))
    }
}
