import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// Downloads one archived WAL file to a local path, whole and verified or not at all: the work
/// of wal-fetch, shared with the prefetcher.
///
/// The object is decoded into a temporary file beside the destination, which takes the
/// destination's name only after every check passed (authentication or digest, size, for
/// segments the page header with its `xlp_pageaddr`, for backup history files their content
/// against their name), so no reader ever sees a corrupt, truncated or misnamed file.
package struct ArchivedFileDownload {
    let repository: Repository
    let identity: ClusterIdentity

    package init(repository: Repository, identity: ClusterIdentity) {
        self.repository = repository
        self.identity = identity
    }

    /// What the file is while it is written.
    package enum Partial {
        /// A file without a name (O_TMPFILE), linked to the destination once verified: a process
        /// killed meanwhile leaves nothing (wal-fetch's own downloads into `pg_wal`). Where the
        /// file system has no O_TMPFILE, `.named`.
        case unnamed
        /// A hidden temporary name (`FileSystem.temporaryName`), which shows that a download is
        /// under way (`StagingFolder.isDownloading`). One whose process is gone is removed by the
        /// next `.unnamed` download that falls back to a name in that folder, or by the prefetcher.
        case named
    }

    /// Downloads `name` to `destination`. `lineage`, when given, is every timeline the file's
    /// timeline descends from (itself included): the first page of a segment must carry one of
    /// them. `beforeRename`, when given, runs with the path of the verified temporary file and the
    /// `StagedChecksum` of the bytes written to it (taken as they were written, so the file is
    /// not read again), before the file takes its final name. Returns the trailer, or nil when
    /// the object does not exist.
    package func download(_ name: WALFileName, to destination: String, lineage: Set<TimelineID>? = nil, partial: Partial = .named,
                  beforeRename: ((_ verified: String, StagedChecksum) throws -> Void)? = nil) throws -> ObjectTrailer? {
        let archive = WALArchive(repository: repository, identity: identity)
        let key = archive.key(for: name)
        let object = repository.storage.describe(key)
        guard let source = try repository.storage.openIfPresent(key) else { return nil }

        let folder = FileSystem.dirname(of: destination)
        let output: SystemFile
        // The temporary file's name; nil for an unnamed one.
        var temporary: String?
        if partial == .unnamed, let unnamed = try SystemFile.createUnnamed(in: folder, shownAs: destination + " (being written)") {
            output = unnamed
        } else {
            if partial == .unnamed { try TemporaryFile.removeAbandoned(for: FileSystem.basename(of: destination), in: folder) }
            let path = FileSystem.temporaryName(for: destination)
            output = try SystemFile.createExclusive(path, mode: 0o600)
            temporary = path
        }
        do {
            let checksummed = beforeRename.map { _ in StagedChecksum.Sink(output) }
            // Reading through both repositories (a restore's staging with TAILTOWN_REPO2), a copy that fails its checks
            // is replaced by the second's.
            let trailer = try ObjectDecoder(keyring: repository.keyring).decode(from: source, to: checksummed ?? output, object: object,
                                                                            identity: try archive.objectIdentity(of: name),
                                                                            otherCopy: repository.otherCopy(of: key))
            if case .segment(let segment) = name {
                let written = try temporary.map(SystemFile.openForReading) ?? output
                _ = try WALPageHeader.validateSegment(written, as: segment, cluster: identity)
                if let lineage {
                    let header = try WALPageHeader(reading: written)
                    guard lineage.contains(header.timeline) else {
                        throw PrefetchError.timelineNotInHistory(object: object, headerTimeline: header.timeline, timeline: segment.timeline)
                    }
                }
            } else if case .backup(let segment, let offset) = name {
                // A backup history file stored under another name is never handed over.
                _ = try BackupHistoryFile.read(try temporary.map(SystemFile.openForReading) ?? output, name: segment, offset: offset, shown: object)
            }
            if let beforeRename, let checksummed {
                try beforeRename(temporary ?? "/proc/self/fd/\(output.descriptor)", checksummed.checksum)
            }
            if let temporary {
                try FileSystem.rename(temporary, to: destination)
            } else {
                try link(output, to: destination)
            }
            return trailer
        } catch {
            if let temporary { try? FileSystem.remove(temporary) }
            throw error
        }
    }

    /// Gives the unnamed `file` the name `destination`, replacing a file there as a rename would.
    private func link(_ file: SystemFile, to destination: String) throws {
        do {
            try file.link(to: destination)
        } catch let error as IOError where error.isAlreadyExists {
            let path = FileSystem.temporaryName(for: destination)
            try file.link(to: path)
            do {
                try FileSystem.rename(path, to: destination)
            } catch {
                try? FileSystem.remove(path)
                throw error
            }
        }
    }
}
