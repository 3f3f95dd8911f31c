import PITRBackup
import PITRNative
import PITRPipeline
import PITRRepository
import PITRSupport
import PITRWAL

/// What `dump-push` is asked to do; every field has the documented default.
public struct DumpPushRequest: Sendable {
    /// A libpq connection string or URI; empty means libpq's defaults (PGHOST, PGPORT, PGUSER, ...).
    public var conninfo = ""
    /// The databases to dump; empty: every database that allows connections and is not a template.
    public var databases: [String] = []
    /// Keep the roles' password hashes in the globals (pg_dumpall without --no-role-passwords).
    public var withRolePasswords = false
    /// The folder of pg_dump and pg_dumpall (`--pg-bin`); nil to find those of the server's major.
    public var programFolder: String?
    /// The most bytes one stored object holds.
    public var objectSize = 1 << 30

    public init() {}
}

/// `dump-push`: the server's `pg_dumpall --globals-only`, then `pg_dump -Fc -Z0` of each database, each one's output
/// streamed from a pipe through the object pipeline into `dumps/<name>/` with its own descriptor, written last
/// (docs/format.md, "Dumps"). A dump that fails (the program exits non-zero or is killed, storage fails) has its pieces
/// removed and no descriptor; the others go on. A run killed outright leaves its lease (`BackupLease`), by which the
/// next `dump-push` on this machine, or `delete`, removes what it left.
public final class DumpPush {
    let repository: Repository
    let options: ObjectOptions
    let log: Log
    /// The environment the programs' own is taken from: only the locale, time zone and PATH pass.
    public var environment = ProcessEnvironment.current()

    public init(repository: Repository, options: ObjectOptions, log: Log) {
        self.repository = repository
        self.options = options
        self.log = log
    }

    /// Stores every dump; returns the run. Throws `DumpError.failedDatabases` after the run when some failed.
    public func run(_ request: DumpPushRequest) throws -> DumpRun {
        try repository.checkEncryption()
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection(conninfo: request.conninfo)
        } catch PostgresError.cannotConnect(let message) {
            throw DumpError.cannotConnect(message: message)
        }
        defer { connection.close() }
        let major = try PostgreSQLMajor.require(PostgreSQLMajor.major(serverVersion: connection.serverVersion), from: "the server dump-push connected to")
        let rows = try refusing {
            try connection.query("SELECT datname, current_database() FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")
        }
        let present = rows.values.compactMap { $0[0] }
        for database in request.databases where !present.contains(database) { throw DumpError.noSuchDatabase(database) }
        let databases = request.databases.isEmpty ? present : request.databases
        let current = rows.values.first?[1] ?? "postgres"
        let programs = try ["pg_dump", "pg_dumpall"].map { program in
            guard let folder = PostgreSQLPrograms.folder(holding: program, major: major, requested: request.programFolder, environment: environment) else {
                throw DumpError.programNotFound(program: program, major: major)
            }
            return folder + "/" + program
        }
        // The connection as libpq made it (host, port, user, password, TLS settings), as PG* variables: a password
        // never shows on a command line, and nothing of ours (TAILTOWN_*, AWS_*, HOME) reaches the programs.
        var childEnvironment = environment.filter { name, _ in ["PATH", "LANG", "LANGUAGE", "TZ"].contains(name) || name.hasPrefix("LC_") }
        childEnvironment.merge(connection.environment()) { _, connection in connection }
        let tools = try programs.map { try version(of: $0, environment: childEnvironment) }
        removeKilledRuns()

        let name = UTCTime.now().compact
        let repositoryID = try repository.state().repositoryID
        let lease = BackupLease.current()
        let leaseKey = DumpDescriptor.objectKey(run: name, object: BackupLease.fileName)
        if let lease {
            guard try SealedMetadata.store(lease.text, at: leaseKey, identity: DumpCatalog.leaseIdentity(repository: repositoryID, run: name),
                                           under: options.key, in: repository) == .stored else {
                throw DumpError.nameTaken(object: repository.storage.describe(leaseKey))
            }
        }
        defer { if lease != nil { try? repository.storage.remove(leaseKey) } }
        let encoder = try ObjectEncoder(options: options)
        let pieces = StoredPieces(repository: repository, encoder: encoder, objectSize: request.objectSize, log: log,
                                  key: { DumpDescriptor.objectKey(run: name, object: $0) },
                                  identity: { DumpDescriptor.objectIdentity(repository: repositoryID, run: name, object: $0, lastPiece: false) })
        var globals = [programs[1], "--globals-only", "--no-password", "-l", current]
        if !request.withRolePasswords { globals.append("--no-role-passwords") }
        var jobs: [(database: String?, argv: [String], environment: [String: String])] = [(nil, globals, childEnvironment)]
        for database in databases {
            var own = childEnvironment
            own["PGDATABASE"] = database
            jobs.append((database, [programs[0], "--format=custom", "-Z0", "--no-password"], own))
        }
        var dumps: [DumpDescriptor] = []
        var failed: [String] = []
        for job in jobs {
            let shown = job.database.map { "database \($0)" } ?? "the globals"
            do {
                let dump = try dumpOne(job.argv, environment: job.environment, database: job.database, run: name, serverVersion: connection.serverVersion,
                                       tool: tools[job.database == nil ? 1 : 0], pieces: pieces)
                dumps.append(dump)
                log.info("dumped \(shown): \(String(byteCount: dump.rawBytes)) raw, \(String(byteCount: dump.storedBytes)) stored")
            } catch {
                log.error("\(error)")
                failed.append(shown)
            }
        }
        if !failed.isEmpty { throw DumpError.failedDatabases(failed) }
        return DumpRun(name: name, dumps: dumps)
    }

    private func dumpOne(_ argv: [String], environment: [String: String], database: String?, run: String, serverVersion: Int, tool: String,
                         pieces: StoredPieces) throws -> DumpDescriptor {
        let start = UTCTime.now()
        let process: SpawnedProcess
        do {
            process = try SpawnedProcess.start(argv, environment: environment, output: .pipe(mergeStandardError: false))
        } catch let error as IOError {
            throw DumpError.cannotStart(program: argv[0], detail: String(cString: strerror(error.code)))
        }
        let source = try DumpSource(process)
        let archive = database.map(DumpDescriptor.archive(of:)) ?? DumpDescriptor.globalsArchive
        let objects: [BackupDescriptor.StoredObject]
        do {
            objects = try pieces.store(source, archive: archive)
        } catch {
            _ = kill(process.pid, SIGTERM)
            process.wait()
            throw error
        }
        let status = process.wait()
        let descriptor = DumpDescriptor(name: run, database: database, startTime: start, stopTime: UTCTime.now(), serverVersion: serverVersion,
                                        tool: tool, compression: options.compression, cipher: options.key == nil ? "none" : "aes-256-gcm",
                                        keyID: options.key?.keyIDHex ?? "", sha256: try source.digest(), objects: objects)
        do {
            guard status == 0 else {
                throw DumpError.programFailed(command: FileSystem.basename(of: argv[0]), database: database.map { "database \($0)" } ?? "the globals", status: status)
            }
            try DumpCatalog(repository: repository).store(descriptor, options: options)
        } catch {
            for object in objects { try? repository.storage.remove(DumpDescriptor.objectKey(run: run, object: object.name)) }
            throw error
        }
        return descriptor
    }

    /// "pg_dump (PostgreSQL) 15.14", from `--version`.
    private func version(of program: String, environment: [String: String]) throws -> String {
        let result: SpawnedProcess.Result
        do {
            result = try SpawnedProcess.run([program, "--version"], environment: environment, mergeStandardError: true)
        } catch let error as IOError {
            throw DumpError.cannotStart(program: program, detail: String(cString: strerror(error.code)))
        }
        let line = String(decoding: result.output, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard result.status == 0, let version = PostgreSQLPrograms.version(in: line) else {
            throw DumpError.cannotStart(program: program, detail: "its --version said '\(line)'")
        }
        return "\(FileSystem.basename(of: program)) (PostgreSQL) \(version)"
    }

    /// Removes what runs killed on this machine left (their lease names a process that is gone): never listed, they only
    /// take space. A failure is a warning.
    private func removeKilledRuns() {
        let storage = repository.storage
        do {
            for leftover in try DumpCatalog(repository: repository).leftovers() where leftover.writerGone == true {
                let lease = DumpDescriptor.objectKey(run: leftover.run, object: BackupLease.fileName)
                try storage.discard(try storage.abandonedUploads(under: DumpDescriptor.folder + "/" + leftover.run + "/",
                                                                 startedBefore: UTCTime(secondsSinceEpoch: UTCTime.now().secondsSinceEpoch + 1)))
                // The lease last: while it stands, a later run still knows the folder for what it is.
                try storage.remove(keys: leftover.objects.map(\.key).filter { $0 != lease })
                try storage.remove(lease)
                log.info("removed \(leftover.objects.count - 1) objects of dump \(leftover.run), whose dump-push was killed before it finished")
            }
        } catch {
            log.warning("cannot look for dumps left by killed dump-push runs under \(storage.describe(DumpDescriptor.folder + "/")): \(error)")
        }
    }

    private func refusing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch PostgresError.serverError(_, let message, _) {
            throw DumpError.refused(message: message)
        }
    }
}
