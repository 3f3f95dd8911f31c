import Foundation
import Testing
@testable import PITRBackup
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport

extension PostgreSQLIntegration {
    /// backup-push against a real PostgreSQL 15 that archives through tailtown-pitr into a file:// repository;
    /// the stored backup is extracted with a restore step of the test's own and checked with pg_verifybackup.
    @Suite struct BackupPushTests {
        /// A cluster with an extra tablespace and some pgbench data, archiving into its repository.
        static func makeCluster() throws -> (ArchivedCluster, String) {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: false)
            return (archived, try addTablespaceAndData(archived))
        }

        /// Creates tablespace `one` holding table `in_one`, and pgbench tables at scale 3; returns the tablespace's folder.
        static func addTablespaceAndData(_ archived: ArchivedCluster) throws -> String {
            let tablespace = try archived.sandbox.makeDirectory("tablespace-one")
            try archived.cluster.query("CREATE TABLESPACE one LOCATION '\(tablespace)'")
            try archived.cluster.query("CREATE TABLE in_one TABLESPACE one AS SELECT g, md5(g::text) AS h FROM generate_series(1, 200000) g")
            try archived.cluster.pgbench(["-i", "-s", "3", "-q"])
            return tablespace
        }

        /// backup-push of `archived`'s cluster, its archives cut at `objectSize` bytes, waiting two minutes at most for the WAL.
        static func request(_ archived: ArchivedCluster, objectSize: Int) -> BackupPushRequest {
            var request = BackupPushRequest()
            request.conninfo = archived.cluster.conninfo
            request.objectSize = objectSize
            request.walTimeoutSeconds = 120
            return request
        }

        static func repository(_ archived: ArchivedCluster) -> PITRRepository.Repository {
            PITRRepository.Repository(storage: FileStorage(root: archived.tailtown.repository.root), key: nil)
        }

        @Test func backupIsStoredInBoundedObjectsAndVerifies() throws {
            let (archived, tablespace) = try Self.makeCluster()
            defer { try? archived.stop() }
            let repository = Self.repository(archived)
            let push = BackupPush(repository: repository, options: ObjectOptions(compression: .lz4),
                                  interruption: try InterruptSignal(), log: Log(level: .warning))
            var progressCalls = 0
            var lastDone: Int64 = 0
            push.onProgress = { done, _ in progressCalls += 1; lastDone = done }
            let started = Date()
            let descriptor = try push.run(Self.request(archived, objectSize: 8 << 20))
            let seconds = Date().timeIntervalSince(started)
            print("backup-push: \(descriptor.rawBytes >> 20) MiB raw, \(descriptor.storedBytes >> 20) MiB stored in \(String(format: "%.1f", seconds)) s (\(String(format: "%.0f", Double(descriptor.rawBytes) / 1e6 / seconds)) MB/s)")

            #expect(descriptor.tablespaces.map(\.location) == [tablespace])
            let baseObjects = descriptor.objects.filter { $0.archive == "base.tar" }
            #expect(baseObjects.count > 1, "an archive over objectSize is cut into several objects")
            #expect(baseObjects.dropLast().allSatisfy { $0.rawBytes == 8 << 20 })
            #expect(descriptor.objects.contains { $0.archive == "\(descriptor.tablespaces[0].oid).tar" })
            #expect(descriptor.objects.map(\.archive).suffix(3) == ["backup_manifest", BackupDescriptor.blockSumsArchive, BackupDescriptor.relationNamesArchive])
            // The relation names: the table in the tablespace by its file, in its schema, in its database.
            let names = try #require(try RelationNames(of: descriptor, in: repository))
            let file = try archived.cluster.query("select (select oid from pg_database where datname = current_database()) || ' ' || pg_relation_filenode('in_one')")
                .split(separator: " ").compactMap { UInt32($0) }
            let table = try #require(names.tables[RelationNames.FileKey(database: file[0], number: file[1])])
            #expect(names.qualifiedName(table, database: file[0]) == "public.in_one" && names.databases[file[0]] == "postgres")
            // Every other database that accepts connections was read over a connection of its own (template0 accepts none).
            #expect(names.databases.count >= 3 && names.databases.allSatisfy { ($0.value == "template0") == (names.namespaces[$0.key] == nil) }, "\(names.databases)")
            #expect(descriptor.type == .full && descriptor.parent == nil && descriptor.hasBlockSums)
            #expect(descriptor.stopLSN > descriptor.startLSN)
            #expect(progressCalls > 0 && lastDone > 0)

            // The descriptor is in the repository and lists as the only backup.
            let listed = try BackupCatalog(repository: repository).list()
            #expect(listed == [descriptor])

            // Every WAL file the backup needs is archived.
            let identity = descriptor.identity
            for file in WALWait.files(for: descriptor, segmentSize: .standard) {
                #expect(try repository.storage.size(of: WALArchive(repository: repository, identity: identity).key(for: file)) != nil)
            }

            let restored = try Self.extract(descriptor, from: repository, into: archived.sandbox.path("restored"))
            let verify = try Command.runAsPostgres(try PostgreSQL.tool("pg_verifybackup"), ["-n", restored])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

            // The extracted copy recovers from the archived WAL and holds the source's rows.
            let expected = try archived.cluster.query(Self.fingerprintSQL)
            #expect(try Self.recoveredFingerprint(of: "restored", in: archived) == expected)
        }

        /// What the recovery checks compare: the tablespace's table and pgbench_accounts.
        static let fingerprintSQL = "SELECT (SELECT count(*) FROM in_one) || ' ' || (SELECT sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT count(*) FROM pgbench_accounts)"

        /// Starts the backup extracted into folder `name` of `archived`'s sandbox, recovering through its tailtown-pitr to
        /// the end of the archive, and returns `fingerprintSQL`'s answer; the copy is stopped again.
        static func recoveredFingerprint(of name: String, in archived: ArchivedCluster) throws -> String {
            let copy = try PostgresCluster.existing(in: archived.sandbox, name: name)
            try copy.configure([("allow_in_place_tablespaces", "on")])
            try copy.recover(through: archived.tailtown)
            defer { try? copy.stop() }
            return try copy.query(fingerprintSQL)
        }

        /// Decodes each archive's objects in order into one tar and untars it: base.tar into `folder`,
        /// each tablespace into pg_tblspc/<oid>, the manifest beside them.
        static func extract(_ descriptor: BackupDescriptor, from repository: PITRRepository.Repository, into folder: String) throws -> String {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let decoder = ObjectDecoder(key: repository.key)
            var archives: [String] = []
            for object in descriptor.objects where !archives.contains(object.archive) && !BackupDescriptor.unrestoredArchives.contains(object.archive) {
                archives.append(object.archive)
            }
            // base.tar first: it holds pg_tblspc/<oid> as a symlink to the live tablespace, replaced by a folder below.
            archives.sort { a, _ in a == "base.tar" }
            for archive in archives {
                let output = folder + "/" + archive + ".decoded"
                let file = try SystemFile.createExclusive(output)
                for object in descriptor.objects where object.archive == archive {
                    let key = BackupDescriptor.objectKey(backup: descriptor.name, object: object.name)
                    let trailer = try decoder.decode(from: try repository.storage.openForReading(key), to: file, object: key,
                                                     identity: descriptor.objectIdentity(of: object))
                    #expect(trailer.originalSize == object.rawBytes)
                }
                if archive == "backup_manifest" {
                    try FileManager.default.moveItem(atPath: output, toPath: folder + "/backup_manifest")
                    continue
                }
                let target = archive == "base.tar" ? folder : folder + "/pg_tblspc/" + archive.replacingOccurrences(of: ".tar", with: "")
                if archive != "base.tar" { try? FileManager.default.removeItem(atPath: target) }
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                try Command.run("/bin/tar", ["-xf", output, "-C", target]).check()
                try FileManager.default.removeItem(atPath: output)
            }
            try Sandbox.giveTreeToPostgres(folder, mode: 0o700)
            return folder
        }
    }
}
