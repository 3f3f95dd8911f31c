import Foundation
import Testing
@testable import PITRBackup
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRSupport
@testable import PITRWAL

/// A chain of `pg_basebackup -Ft -X none` backups of a cluster: a full one, then each incremental on the one before,
/// either by the server (`--incremental`, 17 and later with `summarize_wal = on`) or made here from full backups the
/// block-compare way (`BlockCompareIncremental`). `store` puts them in a tailtown-pitr repository as backup-push stores
/// them (tar pieces, backup_manifest, a descriptor naming the parent); `extract` unpacks one as pg_basebackup left it.
final class BaseBackupChain {
    let cluster: PostgresCluster
    /// Each backup's folder (base.tar, backup_manifest), oldest first, with the time it was taken.
    private(set) var backups: [(folder: String, started: UTCTime)] = []
    /// The server's server_version_num and system identifier, read at the first backup (15's manifest has no identifier).
    private var serverVersion = 0
    private var systemIdentifier: UInt64 = 0

    init(of cluster: PostgresCluster) {
        self.cluster = cluster
    }

    /// Takes the next backup: full when it is the first or when not `serverSide`, else incremental on the last.
    func take(_ name: String, serverSide: Bool = true) throws {
        let folder = cluster.sandbox.path(name)
        let incremental = serverSide ? backups.last.map { ["--incremental=\($0.folder)/backup_manifest"] } ?? [] : []
        if serverVersion == 0 {
            serverVersion = try #require(Int(try cluster.query("show server_version_num")))
            systemIdentifier = try #require(UInt64(try cluster.query("select system_identifier from pg_control_system()")))
        }
        let started = UTCTime.now()
        try Command.runAsPostgres(try cluster.tool("pg_basebackup"), [
            "-D", folder, "-Ft", "-X", "none", "-c", "fast", "-U", "postgres", "-h", cluster.sandbox.root, "-p", String(cluster.port),
        ] + incremental, timeout: 300).check()
        backups.append((folder, started))
    }

    /// Stores every backup into `repository` (the cluster may be stopped) in pieces of `pieceSize` bytes, each after the
    /// first incremental on the one before by `detection`; block-compare incrementals are made here from the full
    /// backups taken. Returns their descriptors, oldest first.
    func store(in repository: PITRRepository.Repository, detection: ChangeDetection = .summaries, pieceSize: Int = 4 << 20) throws -> [BackupDescriptor] {
        let repositoryID = try repository.state().repositoryID
        var descriptors: [BackupDescriptor] = []
        for (folder, started) in backups {
            let manifestBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/backup_manifest")))
            let manifest = try BackupManifest(manifestBytes)
            let label = try Command.run("/bin/tar", ["-xOf", folder + "/base.tar", "backup_label"]).check()
            func line(_ prefix: String) throws -> String {
                let found = label.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
                return try #require(found, "backup_label of \(folder) has no \(prefix)")
            }
            let startLSN = try LSN(parsing: String(try line("START WAL LOCATION: ").split(separator: " ")[0]))
            let timeline = TimelineID(try #require(UInt32(try line("START TIMELINE: "))))
            let range = try #require(manifest.walRanges.last)
            let identity = ClusterIdentity(majorVersion: PostgreSQLMajor.major(serverVersion: serverVersion),
                                           systemIdentifier: systemIdentifier)
            let name = BackupDescriptor.makeName(startTime: started, startSegment: WALSegmentName.segment(containing: startLSN, timeline: timeline, segmentSize: .standard))
            var objects: [BackupDescriptor.StoredObject] = []
            var base = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/base.tar")))
            if detection == .blockCompare, let parent = descriptors.last.map({ _ in backups[descriptors.count - 1].folder }) {
                base = try BlockCompareIncremental.make(child: base, parent: [UInt8](try Data(contentsOf: URL(fileURLWithPath: parent + "/base.tar"))))
            }
            for (archive, bytes) in [("base.tar", base), ("backup_manifest", manifestBytes)] {
                let pieces = stride(from: 0, to: bytes.count, by: pieceSize).map { Array(bytes[$0..<min($0 + pieceSize, bytes.count)]) }
                for (index, piece) in pieces.enumerated() {
                    let object = archive + "." + String(format: "%04d", index)
                    let upload = try repository.storage.startUpload(BackupDescriptor.objectKey(backup: name, object: object))
                    let identityOfPiece = BackupDescriptor.objectIdentity(repository: repositoryID, cluster: identity, backup: name, object: object, lastPiece: false)
                    _ = try ObjectEncoder(options: ObjectOptions(compression: .lz4, key: repository.key))
                        .encode(from: MemorySource(piece), to: upload, as: identityOfPiece, lastPiece: { index == pieces.count - 1 })
                    _ = try upload.commit()
                    let stored = try repository.storage.size(of: BackupDescriptor.objectKey(backup: name, object: object)) ?? 0
                    objects.append(.init(name: object, archive: archive, rawBytes: piece.count, storedBytes: stored))
                }
            }
            let descriptor = BackupDescriptor(
                name: name, label: "chain", startLSN: startLSN, stopLSN: try LSN(parsing: range.endLSN), startTime: started, stopTime: UTCTime.now(),
                timeline: timeline, stopTimeline: TimelineID(UInt32(range.timeline)), systemIdentifier: identity.systemIdentifier,
                serverVersion: serverVersion, segmentSize: WALSegmentSize.standard.bytes, tablespaces: [], compression: .lz4,
                cipher: repository.key == nil ? "none" : "aes-256-gcm", keyID: repository.key?.keyIDHex ?? "", objects: objects,
                type: descriptors.isEmpty ? .full : .incremental, parent: descriptors.last?.name, detection: descriptors.isEmpty ? nil : detection)
            try BackupCatalog(repository: repository).store(descriptor, options: ObjectOptions(compression: .lz4, key: repository.key))
            descriptors.append(descriptor)
        }
        return descriptors
    }

    /// Unpacks backup `index` into the sandbox folder `name` (owned by postgres), as pg_combinebackup reads it.
    func extract(_ index: Int, to name: String) throws -> String {
        let folder = try cluster.sandbox.makeDirectory(name)
        try Command.run("/bin/tar", ["-xf", backups[index].folder + "/base.tar", "-C", folder]).check()
        try FileManager.default.copyItem(atPath: backups[index].folder + "/backup_manifest", toPath: folder + "/backup_manifest")
        try Sandbox.giveTreeToPostgres(folder, mode: 0o700)
        return folder
    }
}
