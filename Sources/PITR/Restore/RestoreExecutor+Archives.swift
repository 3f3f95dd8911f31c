import PITRBackup
import PITRPipeline
import PITRSupport

extension RestoreExecutor {
    /// Decodes each archive's pieces in order into its extractor, the manifest first (read as it arrives into a table,
    /// and into its file), so that each file is checked against it as it is written; then checks that none is missing. With a
    /// `rebuild`, the archives are an incremental backup's: its older backups are read next, then the manifest made.
    func extractArchives(_ backup: BackupDescriptor, _ destinations: Destinations,
                                 target: OpenDirectory, tablespaces: [UInt32: OpenDirectory], rebuild: ChainRebuild?) throws -> [TarExtractor] {
        var archives: [String] = []
        for object in backup.objects where !archives.contains(object.archive) && !BackupDescriptor.unrestoredArchives.contains(object.archive) {
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
            var manifest: (reader: ManifestReader, file: SystemFile?)?
            if archive == "backup_manifest" {
                let file = try rebuild?.writesNewManifest == true ? nil : newManifestFile(in: target, owner: destinations.owner)
                let reader = try ManifestReader(copy: file)
                manifest = (reader, file)
                sink = reader
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
            do {
                try decode(archive, of: backup, into: sink)
            } catch let error as BackupManifest.Invalid {
                throw RestoreError.invalidManifest(backup: backup.name, reason: error.reason)
            }
            done += pieces.reduce(0) { $0 + $1.rawBytes }
            try extractor?.finish()
            if let manifest {
                try manifest.file?.sync()
                manifestCheck = try checkManifest(manifest.reader, backup: backup)
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
            let trailer = try decoder.decode(from: source, to: sink, object: repository.storage.describe(key),
                                             identity: backup.objectIdentity(of: piece), otherCopy: repository.otherCopy(of: key))
            guard trailer.originalSize == piece.rawBytes else {
                throw RestoreError.corruptArchive(archive: repository.storage.describe(key),
                                                  reason: "it decodes to \(trailer.originalSize) bytes where the descriptor says \(piece.rawBytes)")
            }
        }
    }

    /// The restored backup_manifest, created for the owner, for the stored one to be copied into as it is read (a
    /// rebuilt incremental's server-side manifest is not: it gets a new one).
    private func newManifestFile(in target: OpenDirectory, owner: FileOwner) throws -> SystemFile {
        let file = try target.createFile("backup_manifest", mode: 0o600)
        try owner.take(file)
        return file
    }

    /// The check of the files against the manifest `reader` has read whole.
    private func checkManifest(_ reader: ManifestReader, backup: BackupDescriptor) throws -> ManifestCheck {
        let manifest: BackupManifest
        do {
            manifest = try reader.finish()
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
