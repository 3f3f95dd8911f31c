import PITRDump
import PITRRestore
import PITRSupport
import PITRWAL

extension RestoreDrill {
    /// `verify --restore-test --from-dump`: the newest run's dump of `database` loaded into a new cluster of the dump's
    /// major (initdb in a scratch directory, the same private server as the drill's), the checks run there, then
    /// everything stopped and removed. Each phase is timed.
    func runFromDump() -> Report {
        var phases: [Phase] = []
        var subject = ""
        var results: [CheckResult] = []
        var scratch: String?
        var started: PostgresStarter?
        var failure: String?
        func timed<T>(_ name: String, _ body: () throws -> T) throws -> T {
            let clock = Stopwatch()
            defer { phases.append(Phase(name: name, seconds: clock.seconds)) }
            return try body()
        }
        do {
            guard let newest = try DumpCatalog(repository: procedure.repository).list().last else { throw DrillError.noDump }
            let dump = try newest.dump(of: database)
            subject = "dump \(newest.name) database \(database)"
            let bin = try PostgresStarter.binDirectory(requested: procedure.pgBin, majorVersion: PostgreSQLMajor.major(serverVersion: dump.serverVersion))
            let folder = try makeScratch()
            scratch = folder
            let data = folder + "/data"
            let owner = try FileOwner.choose(nil, parentOf: data)
            let port = try Self.freePort()
            let settings = try privateServer(folder: folder, owner: owner) + [("port", String(port))]
            try timed("initdb") {
                let made = try OpenDirectory.open(folder).makeDirectory("data", mode: 0o700)
                if owner.needsHandOver { try made.changeOwner(uid: owner.uid, gid: owner.gid) }
                try step(ChildProcess(executable: bin + "/initdb", arguments: ["-D", data, "-U", owner.name, "-E", "UTF8", "--no-sync", "--auth=peer"],
                                      user: owner, directory: folder))
                let conf = try made.openForWriting("postgresql.auto.conf")
                let lines = settings.map { "\($0.name) = \(RecoverySettings.quoted($0.value))\n" }.joined()
                let end = try conf.size()
                try Array(lines.utf8).withUnsafeBytes { try conf.write($0, at: end) }
            }
            let starter = PostgresStarter(dataDirectory: data, owner: owner, binDirectory: bin, log: log)
            try timed("start") {
                try starter.start()
                started = starter
                _ = try starter.waitForTarget(action: .promote, standbyFollowing: false)
            }
            let socket = folder + "/" + Self.socketFolder
            try timed("pg_restore") {
                // Into `database`: made from the archive (--create) unless it is the one initdb made. Owners and grants
                // name roles this cluster does not have.
                let into = database == "postgres" ? ["-d", "postgres"] : ["--create", "-d", "postgres"]
                let restore = ChildProcess(executable: bin + "/pg_restore",
                                           arguments: ["-h", socket, "-p", String(port), "-U", owner.name, "--no-owner", "--no-acl", "--exit-on-error"] + into,
                                           user: owner, directory: socket)
                let process = try restore.startFed()
                let reader = try dump.reader(in: procedure.repository)
                defer { reader.close() }
                try reader.copy(to: process, untilRefused: true)
                process.closeInput()
                let status = process.wait()
                guard status == 0 else { throw DrillError.stepFailed(command: "pg_restore of \(subject)", detail: "exit status \(status), its message above") }
            }
            results = try timed("check queries") {
                try checks.map { try run($0, socket: socket, port: port, starter: starter, owner: owner) }
            }
        } catch let error as PITRError {
            failure = error.description
        } catch {
            failure = "\(error)"
        }
        phases.append(cleanUp(started: started, scratch: scratch, failed: failure != nil))
        return Report(backup: subject, phases: phases, checks: results, failure: failure)
    }

    private func step(_ command: ChildProcess) throws {
        let result = try command.run()
        guard result.status == 0 else {
            throw DrillError.stepFailed(command: command.shown, detail: "exit \(result.status): " + result.output.split(separator: "\n").suffix(3).joined(separator: "; "))
        }
    }
}
