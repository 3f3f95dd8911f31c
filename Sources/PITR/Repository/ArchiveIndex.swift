import PITRPipeline
import PITRStorage
import PITRWAL

/// One listing of a cluster's WAL archive (`wal/<archive id>/`): which WAL files it holds and
/// their stored sizes. The planner, `verify`, `status` and `delete` all reason over this one
/// listing instead of asking the storage file by file.
public struct ArchiveIndex {
    public let archive: WALArchive
    public let segmentSize: WALSegmentSize
    /// The archive's `archive.info`, read with the listing.
    package let info: ArchiveInfo
    /// Every WAL file of the archive with its listing entry.
    public let files: [WALFileName: StoredObject]
    /// The archive's objects that are not WAL files: `archive.info`, sealed again or not, and consents.
    package let records: [StoredObject]

    /// Lists the archive of `identity`; throws `ArchiveError.noArchive` when it has no `archive.info`.
    public static func load(repository: Repository, identity: ClusterIdentity) throws -> ArchiveIndex {
        let archive = WALArchive(repository: repository, identity: identity)
        let segmentSize = try archive.checkedSegmentSize()
        let info = try archive.info()
        var files: [WALFileName: StoredObject] = [:]
        var records: [StoredObject] = []
        for object in try repository.storage.listObjects(prefix: archive.folder + "/") {
            let name = object.key.split(separator: "/").last.map(String.init) ?? ""
            if let file = try? WALFileName(parsing: name) { files[file] = object } else { records.append(object) }
        }
        return ArchiveIndex(archive: archive, segmentSize: segmentSize, info: info, files: files, records: records)
    }

    static let infoName = "archive.info"

    /// The archive ids (`<major>-<system identifier>`) the repository holds WAL for.
    public static func identities(in repository: Repository) throws -> [ClusterIdentity] {
        try identities(among: repository.storage.list(prefix: "wal/"), holding: infoName)
    }

    /// The identities whose folder `wal/<archive id>/` holds `file`, among the listed `keys`.
    static func identities(among keys: [String], holding file: String) throws -> [ClusterIdentity] {
        var found = Set<String>()
        for key in keys {
            let parts = key.split(separator: "/")
            if parts.count == 3, parts[2] == file { found.insert(String(parts[1])) }
        }
        return try found.sorted().map { try ClusterIdentity(archiveID: $0) }
    }

    public func contains(_ file: WALFileName) -> Bool { files[file] != nil }

    /// The same listing, read through another connection to the repository (one per thread).
    package func reading(through repository: Repository) -> ArchiveIndex {
        ArchiveIndex(archive: WALArchive(repository: repository, identity: archive.identity), segmentSize: segmentSize,
                     info: info, files: files, records: records)
    }

    /// Complete segments of `timeline`, in WAL order.
    public func segments(on timeline: TimelineID) -> [WALSegmentName] {
        files.keys.compactMap { file -> WALSegmentName? in
            if case .segment(let segment) = file, segment.timeline == timeline { return segment }
            return nil
        }.sorted()
    }

    /// Timelines that have a history file in the archive (timeline 1 never has one).
    public var historyTimelines: [TimelineID] {
        files.keys.compactMap { file -> TimelineID? in
            if case .history(let timeline) = file { return timeline }
            return nil
        }.sorted()
    }

    /// Reads and decodes a timeline's history file; nil for timeline 1 or when it is not archived.
    public func history(of timeline: TimelineID) throws -> TimelineHistory? {
        let file = WALFileName.history(timeline)
        guard files[file] != nil else { return nil }
        let bytes = try decode(file, limit: 1 << 20)
        return try TimelineHistory(parsing: bytes, timeline: timeline, file: archive.repository.storage.describe(archive.key(for: file)))
    }

    /// Downloads, authenticates and decompresses one archived file into memory; a segment's
    /// buffer is reserved whole, as its size is known.
    public func decode(_ file: WALFileName, limit: Int) throws -> [UInt8] {
        let key = archive.key(for: file)
        let object = archive.repository.storage.describe(key)
        var expected = 0
        if case .segment = file { expected = Int(segmentSize.bytes) }
        let sink = MemorySink(limit: limit, object: object, expectedSize: expected)
        _ = try ObjectDecoder(keyring: archive.repository.keyring).decode(from: try archive.repository.storage.openForReading(key),
                                                                          to: sink, object: object, identity: archive.objectIdentity(of: file),
                                                                          otherCopy: archive.repository.otherCopy(of: key))
        return sink.bytes
    }
}
