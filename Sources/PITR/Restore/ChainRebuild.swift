import PITRBackup
import PITRNative
import PITRSupport
import PITRWAL

/// Rebuilds an incremental backup's data directory from its chain in one pass over the repository, newest backup
/// first (docs/format.md, "Restoring an incremental backup"). The newest backup's archives are extracted as a full
/// backup's are, but for their INCREMENTAL entries (`IncrementalEntries`): they decide every file, its length and the
/// blocks still missing (`RebuildNeeds`). Each older backup's archives are then read only while some file needs
/// blocks from them (`OlderArchivePass`). Each file is written once, in place, each block once; nothing is staged.
/// Then the manifest: the block-compare way's stored one lists the rebuilt files, which are checked against it; the
/// server-side way's lists INCREMENTAL files, so a new one is written for the files as rebuilt, with a plain
/// backup_label, as pg_combinebackup writes them. Either way a rebuilt file's checksum is the one kept as its pieces
/// were written (`RebuiltChecksums`), so no file is read back.
final class ChainRebuild {
    let chain: BackupChain
    let needs = RebuildNeeds()
    /// The rebuilt files' checksums, as they are written.
    let checksums: RebuiltChecksums
    /// The newest backup's archive folders, by archive name, with their prefix in backup_manifest.
    private var trees: [(archive: String, tree: ExtractionTree, prefix: String)] = []
    private var takeovers: [IncrementalEntries] = []
    /// backup_label's rewrite, for the server-side way's label.
    private let label: LabelRewrite?
    private(set) var blocksFromOlderBackups = 0

    init(chain: BackupChain) {
        self.chain = chain
        checksums = RebuiltChecksums(needs: needs)
        label = chain.newest.detection == .summaries ? LabelRewrite() : nil
    }

    /// Whether the newest backup's stored manifest lists its INCREMENTAL entries (the server-side way), so that
    /// restore writes a new one rather than the stored one.
    var writesNewManifest: Bool { chain.newest.detection == .summaries }

    /// Files the newest backup's pass created from INCREMENTAL entries.
    var rebuiltFiles: Int { takeovers.reduce(0) { $0 + $1.fileCount } }
    /// Their bytes as rebuilt.
    var rebuiltBytes: Int { takeovers.reduce(0) { $0 + $1.contentBytes } }

    /// The takeover of the newest backup's archive `archive`, extracted into `tree`.
    func takeover(archive: String, tree: ExtractionTree, manifestPrefix: String) -> IncrementalEntries {
        trees.append((archive, tree, manifestPrefix))
        let takeover = IncrementalEntries(needs: needs, checksums: checksums, treeIndex: trees.count - 1, tree: tree, manifestPrefix: manifestPrefix,
                                          manifestListsEntries: writesNewManifest, label: archive == "base.tar" ? label : nil)
        takeovers.append(takeover)
        return takeover
    }

    /// Reads the older backups, newest first, each archive only while a file of its folder needs blocks, through
    /// `decode` (which streams a backup's archive into a sink); stops once nothing is needed. Throws when a backup
    /// lacks a file that still needs blocks, as pg_combinebackup does.
    func fillFromOlderBackups(decode: (BackupDescriptor, String, ByteSink) throws -> Void) throws {
        try checkLabel()
        needs.dropComplete()
        for (index, backup) in chain.backups.enumerated().dropFirst() {
            if needs.isEmpty { break }
            let archives = Set(backup.objects.map(\.archive))
            for (treeIndex, entry) in trees.enumerated() where archives.contains(entry.archive) && needs.needsAny(inTree: treeIndex) {
                let pass = OlderArchivePass(archive: "\(entry.archive) of backup \(backup.name)", needs: needs, checksums: checksums, treeIndex: treeIndex,
                                            tree: entry.tree, manifestPrefix: entry.prefix, backupIndex: index)
                try decode(backup, entry.archive, pass)
                try pass.finish()
                blocksFromOlderBackups += pass.blocksWritten
            }
            if let file = needs.firstUnseen(in: index) {
                throw RestoreError.brokenChain(backup: chain.newest.name, reason: "backup \(backup.name) holds neither \(file) nor its INCREMENTAL file, whose blocks a newer backup lacks")
            }
        }
    }

    /// A server-side incremental's label names the start of the backup it was taken against: its parent's.
    private func checkLabel() throws {
        guard let from = label?.incrementalFromLSN, chain.backups.count > 1 else { return }
        let parent = chain.backups[1]
        guard (try? LSN(parsing: from)) == parent.startLSN else {
            throw RestoreError.brokenChain(backup: chain.newest.name, reason: "its backup_label says it is incremental from LSN \(from), but its parent \(parent.name) starts at \(parent.startLSN)")
        }
    }

    /// Checks the rebuilt files against the stored manifest (`check`, the block-compare way), or writes the new
    /// manifest for the files as rebuilt (the server-side way; `stored` gives its WAL ranges and the checksums of the
    /// files it lists as they are).
    func finishManifest(check: ManifestCheck?, stored: BackupManifest?, target: OpenDirectory, tablespaces: [UInt32: OpenDirectory],
                        owner: FileOwner) throws {
        guard writesNewManifest else {
            try check?.checkUnseen(directory: target, tablespaces: tablespaces, written: checksums.value)
            return
        }
        // Without the stored manifest there are no WAL ranges to write (pg_combinebackup then writes none either).
        guard let stored else { return }
        let file = try target.createFile("backup_manifest", mode: trees.first?.tree.fileMode ?? 0o600)
        try owner.take(file)
        let writer = try ManifestWriter(file: file, systemIdentifier: stored.systemIdentifier ?? chain.newest.systemIdentifier)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        // Every file but the manifest itself and restore's marker, the others pg_verifybackup ignores included, as
        // pg_combinebackup lists them.
        let skipped: Set<String> = ["backup_manifest", RestoreMarker.fileName]
        try RestoredFiles.walk(target, tablespaces: tablespaces, skip: { skipped.contains($0) }) { path, folder, name, info in
            let modified = UTCTime(secondsSinceEpoch: Int64(info.st_mtim.tv_sec))
            // pg_combinebackup lists WAL without checksums; pg_verifybackup checks WAL its own way.
            if path.hasPrefix("pg_wal/") {
                try writer.add(path: path, size: Int(info.st_size), modified: modified, crc32c: nil)
                return
            }
            if let crc = checksums.value(path, length: Int(info.st_size)) {
                var checksum = RunningChecksum.crc32c(CRC32C(continuing: crc))
                try writer.add(path: path, size: Int(info.st_size), modified: modified, crc32c: try checksum.finish())
                return
            }
            // A file copied as it is keeps the stored manifest's CRC-32C, checked as it was written.
            if path != "backup_label", let listed = stored.files[path], listed.algorithm == .crc32c, listed.size == Int(info.st_size) {
                try writer.add(path: path, size: listed.size, modified: modified, crc32c: listed.checksum)
                return
            }
            var checksum = RunningChecksum.crc32c(CRC32C())
            let size = try RestoredFiles.read(name, in: folder, buffer: &buffer) { try checksum.update($0) }
            try writer.add(path: path, size: size, modified: modified, crc32c: try checksum.finish())
        }
        try writer.finish(walRanges: stored.walRanges)
    }
}
