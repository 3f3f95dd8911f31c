import PITRBackup
import PITRPipeline
import PITRSupport

extension RestoreExecutor {
    /// Decodes each archive's pieces in order into its extractor, the manifest first (into memory and its
    /// file), so that each file is checked against it as it is written; then checks that none is missing. With a
    /// `rebuild`, the archives are an incremental backup's: its older backups are read next, then the manifest made.
    func extractArchives(_ backup: BackupDescriptor, _ destinations: Destinations,
                                 target: OpenDirectory, tablespaces: [UInt32: OpenDirectory], rebuild: ChainRebuild?) throws -> [TarExtractor] {
        var archives: [String] = []
        for object in backup.objects where !archives.contains(object.archive) && object.archive != BackupDescriptor.blockSumsArchive {
            archives.append(object.archive)
        }
        if let index = archives.firstIndex(of: "backup_manifest") {
            archives.insert(archives.remove(at: index), at: 0)
        } else {
            log.warning("backup \(backup.name) holds no backup_manifest: the restored files are not checked against one")
        }
        var manifestCheck: ManifestCheck?
        let links = Dictionary(uniqueKeysWithValues: destinations.tablespaces.map { ("pg_tblspc/\($0.key)", $0.value) })
        var extractors: [TarExtractor] = []
        let total = backup.rawBytes
        var done = 0
        for archive in archives {
            let pieces = backup.objects.filter { $0.archive == archive }
            let described = repository.storage.describe(BackupDescriptor.objectKey(backup: backup.name, object: pieces[0].name))
            let sink: ByteSink
            var extractor: TarExtractor?
            var manifest: MemorySink?
            if archive == "backup_manifest" {
                let memory = MemorySink(limit: 1 << 30, object: described, expectedSize: pieces.reduce(0) { $0 + $1.rawBytes })
                manifest = memory
                sink = memory
            } else {
                let root: OpenDirectory
                if archive == "base.tar" {
                    root = target
                } else if let oid = UInt32(archive.dropLast(4)), archive.hasSuffix(".tar"), let location = tablespaces[oid] {
                    root = location
                } else {
                    throw RestoreError.corruptArchive(archive: described, reason: "the backup lists no tablespace for archive \(archive)")
                }
                let prefix = archive == "base.tar" ? "" : "pg_tblspc/\(archive.dropLast(4))/"
                let created = TarExtractor(archive: described, root: root, owner: destinations.owner, linkTargets: archive == "base.tar" ? links : [:],
                                           manifestCheck: manifestCheck, manifestPrefix: prefix)
                created.takeover = rebuild?.takeover(archive: archive, tree: created.tree, manifestPrefix: prefix)
                extractor = created
                extractors.append(created)
                sink = created
            }
            let clock = Stopwatch()
            try decode(archive, of: backup, into: sink)
            done += pieces.reduce(0) { $0 + $1.rawBytes }
            try extractor?.finish()
            if let manifest {
                manifestCheck = try checkManifest(manifest.bytes, backup: backup, in: target, owner: destinations.owner,
                                                  writing: rebuild?.writesNewManifest != true)
            }
            let bytes = pieces.reduce(0) { $0 + $1.rawBytes }
            onProgress("\(archive): \(pieces.count) piece\(pieces.count == 1 ? "" : "s"), \(Self.megabytes(bytes)) in "
                       + "\(Stopwatch.text(clock.seconds)) (\(Self.rate(bytes, clock.seconds))); \(Self.percent(done, total)) of the backup")
        }
        if let rebuild {
            try rebuild.fillFromOlderBackups { older, archive, sink in
                let clock = Stopwatch()
                try decode(archive, of: older, into: sink)
                let bytes = older.objects.filter { $0.archive == archive }.reduce(0) { $0 + $1.rawBytes }
                onProgress("\(archive) of older backup \(older.name): \(Self.megabytes(bytes)) read in \(Stopwatch.text(clock.seconds)) (\(Self.rate(bytes, clock.seconds)))")
            }
            try rebuild.finishManifest(check: manifestCheck, stored: manifestCheck?.manifest, target: target, tablespaces: tablespaces, owner: destinations.owner)
            onProgress("rebuilt \(rebuild.rebuiltFiles) files from a chain of \(rebuild.chain.backups.count) backups (\(rebuild.blocksFromOlderBackups) blocks from older backups)"
                       + (rebuild.writesNewManifest ? "; backup_label and backup_manifest written for the rebuilt files" : ""))
        }
        try manifestCheck?.finishAll()
        if manifestCheck != nil { onProgress("every restored file matches backup_manifest") }
        return extractors
    }

    /// Decodes `archive`'s pieces of `backup` in order into `sink`, checking each one's size against the descriptor.
    private func decode(_ archive: String, of backup: BackupDescriptor, into sink: ByteSink) throws {
        let decoder = ObjectDecoder(keyring: repository.keyring)
        let pieces = backup.objects.filter { $0.archive == archive }
        let keys = pieces.map { BackupDescriptor.objectKey(backup: backup.name, object: $0.name) }
        // One piece after another: on S3 the next piece's first range downloads while this one's last is decoded.
        let sources = repository.storage.openSequence(keys)
        for (piece, key) in zip(pieces, keys) {
            guard let source = try sources.next() else { break }
            // The decoder writes on a thread of its own, so extraction overlaps with reading and decoding;
            // a read-ahead thread in front of it measured no faster (2 cores, moto on loopback).
            let trailer = try decoder.decode(from: source, to: sink,
                                             object: repository.storage.describe(key), identity: backup.objectIdentity(of: piece))
            guard trailer.originalSize == piece.rawBytes else {
                throw RestoreError.corruptArchive(archive: repository.storage.describe(key),
                                                  reason: "it decodes to \(trailer.originalSize) bytes where the descriptor says \(piece.rawBytes)")
            }
        }
    }

    /// Writes backup_manifest into the target (unless not `writing`: a rebuilt incremental gets a new one) and returns
    /// the check of the files against it.
    private func checkManifest(_ bytes: [UInt8], backup: BackupDescriptor, in target: OpenDirectory, owner: FileOwner,
                               writing: Bool) throws -> ManifestCheck {
        if writing {
            let file = try target.createFile("backup_manifest", mode: 0o600)
            try owner.take(file)
            try file.write(bytes)
            try file.sync()
        }
        let manifest: BackupManifest
        do {
            manifest = try BackupManifest(bytes)
        } catch let error as BackupManifest.Invalid {
            throw RestoreError.invalidManifest(backup: backup.name, reason: error.reason)
        }
        if let system = manifest.systemIdentifier, system != backup.identity.systemIdentifier {
            throw RestoreError.invalidManifest(backup: backup.name, reason: "it is of system \(system), the backup of system \(backup.identity.systemIdentifier)")
        }
        let check = ManifestCheck(manifest: manifest)
        let uncomputed = check.uncomputedAlgorithms
        if !uncomputed.isEmpty {
            log.warning("backup_manifest uses \(uncomputed.map(\.rawValue).joined(separator: " and ")) checksums, which restore does not compute: those files are checked by size only")
        }
        return check
    }
}
