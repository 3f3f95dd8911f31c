import PITRDump
import PITRRepository
import PITRRestore
import PITRSupport
import PITRWAL

/// What `verify` checks of the dumps: every descriptor reads, every piece is listed with its recorded size and its header
/// and trailer are in place; with `deep`, every dump is decoded end to end (each chunk authenticated, the whole against
/// its SHA-256) and each custom-format archive fed to `pg_restore --list` of its major, which must read it.
struct DumpVerification {
    let repository: Repository
    let deep: Bool
    var environment = ProcessEnvironment.current()

    struct Outcome {
        var dumps = 0
        var objects = 0
        var problems: [VerifyProblem] = []
    }

    func run() -> Outcome {
        var outcome = Outcome()
        let runs: [DumpRun]
        do {
            runs = try DumpCatalog(repository: repository).list()
        } catch {
            outcome.problems.append(.badDump(dump: "dumps/", reason: "\(error)"))
            return outcome
        }
        let storage = repository.storage
        let listed: [String: Int]
        do {
            listed = Dictionary(try storage.listObjects(prefix: DumpDescriptor.folder + "/").map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
        } catch {
            outcome.problems.append(.badDump(dump: "dumps/", reason: "cannot list \(storage.describe(DumpDescriptor.folder + "/")): \(error)"))
            return outcome
        }
        let check = ObjectCheck(storage: storage, keyring: repository.keyring)
        for run in runs {
            for dump in run.dumps {
                outcome.dumps += 1
                let shown = "\(run.name) \(dump.database.map { "database \($0)" } ?? "globals")"
                var whole = true
                for object in dump.objects {
                    outcome.objects += 1
                    let key = DumpDescriptor.objectKey(run: run.name, object: object.name)
                    guard let size = listed[key] else {
                        outcome.problems.append(.badDump(dump: shown, reason: "object \(storage.describe(key)) is missing: the dump cannot be fetched"))
                        whole = false
                        continue
                    }
                    guard size == object.storedBytes else {
                        outcome.problems.append(.badDump(dump: shown, reason: "object \(storage.describe(key)) holds \(size) bytes, its descriptor records \(object.storedBytes)"))
                        whole = false
                        continue
                    }
                    if !deep, case .problem(let reason) = check.check(key: key, listedSize: size, identity: dump.objectIdentity(of: object), deep: false).verdict {
                        outcome.problems.append(.badDump(dump: shown, reason: reason))
                    }
                }
                if deep, whole, let problem = decode(dump) { outcome.problems.append(.badDump(dump: shown, reason: problem)) }
            }
        }
        return outcome
    }

    /// Decodes `dump` to its end; a custom-format one through `pg_restore --list`. The problem found, or nil.
    private func decode(_ dump: DumpDescriptor) -> String? {
        do {
            let reader = try dump.reader(in: repository)
            defer { reader.close() }
            var listing: SpawnedProcess?
            if dump.isCustomFormat {
                let major = PostgreSQLMajor.major(serverVersion: dump.serverVersion)
                guard let folder = PostgreSQLPrograms.folder(holding: "pg_restore", major: major, requested: nil, environment: environment) else {
                    return "pg_restore of PostgreSQL \(major) not found to read the archive: install it (apt install postgresql-client-\(major))"
                }
                listing = try ChildProcess(executable: folder + "/pg_restore", arguments: ["--list"], environment: environment).startFed()
            }
            if let listing {
                // pg_restore --list stops reading after the table of contents: the rest is still decoded and checked.
                try reader.copy(to: listing, untilRefused: true)
            } else {
                try reader.copy(to: DiscardingSink())
            }
            if let listing {
                listing.closeInput()
                let status = listing.wait()
                if status != 0 { return "pg_restore --list cannot read \(dump.name) \(dump.archive) (exit status \(status), its message above)" }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }
}
