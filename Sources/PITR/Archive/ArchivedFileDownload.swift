import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// Downloads one archived WAL file to a local path, whole and verified or not at all: the work
/// of wal-fetch, shared with the prefetcher.
///
/// The object is decoded into a hidden temporary file beside the destination and renamed to it
/// only after every check passed (authentication or digest, size, for segments the page header
/// with its `xlp_pageaddr`, for backup history files their content against their name), so no
/// reader ever sees a corrupt, truncated or misnamed file.
package struct ArchivedFileDownload {
    let repository: Repository
    let identity: ClusterIdentity

    package init(repository: Repository, identity: ClusterIdentity) {
        self.repository = repository
        self.identity = identity
    }

    /// Downloads `name` to `destination`. `lineage`, when given, is every timeline the file's
    /// timeline descends from (itself included): the first page of a segment must carry one of
    /// them. `beforeRename`, when given, runs with the path of the verified temporary file and the
    /// `StagedChecksum` of the bytes written to it (taken as they were written, so the file is
    /// not read again), before the file takes its final name. Returns the trailer, or nil when
    /// the object does not exist.
    package func download(_ name: WALFileName, to destination: String, lineage: Set<TimelineID>? = nil,
                  beforeRename: ((_ verified: String, StagedChecksum) throws -> Void)? = nil) throws -> ObjectTrailer? {
        let key = WALArchive(repository: repository, identity: identity).key(for: name)
        let object = repository.storage.describe(key)
        let source: ByteSource
        do {
            source = try repository.storage.openForReading(key)
        } catch StorageError.notFound {
            return nil
        }

        let temporary = FileSystem.temporaryName(for: destination)
        try FileSystem.remove(temporary)
        do {
            let output = try SystemFile.createExclusive(temporary, mode: 0o600)
            let checksummed = beforeRename.map { _ in StagedChecksum.Sink(output) }
            let trailer = try ObjectDecoder(key: repository.key).decode(from: source, to: checksummed ?? output, object: object)
            if case .segment(let segment) = name {
                let written = try SystemFile.openForReading(temporary)
                _ = try WALPageHeader.validateSegment(written, as: segment, cluster: identity)
                if let lineage {
                    let header = try WALPageHeader(reading: written)
                    guard lineage.contains(header.timeline) else {
                        throw PrefetchError.timelineNotInHistory(object: object, headerTimeline: header.timeline, timeline: segment.timeline)
                    }
                }
            } else if case .backup(let segment, let offset) = name {
                // A backup history file stored under another name is never handed over.
                _ = try BackupHistoryFile.read(try SystemFile.openForReading(temporary), name: segment, offset: offset, shown: object)
            }
            if let beforeRename, let checksummed {
                try beforeRename(temporary, checksummed.checksum)
            }
            try FileSystem.rename(temporary, to: destination)
            return trailer
        } catch {
            try? FileSystem.remove(temporary)
            throw error
        }
    }
}
