import ArgumentParser
import PITRDump
import PITRRestore
import PITRSupport

struct DumpFetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-fetch",
        abstract: "Write a stored dump, byte for byte and verified, to standard output or a file.",
        discussion: """
            Writes pg_dump's custom-format archive (or, with --database omitted on a run of one database, that one; \
            --globals: pg_dumpall's SQL script): 'dump-fetch NAME --database DB | pg_restore -d newdb'. Every chunk is \
            authenticated before it is written, and the whole is checked against the SHA-256 its descriptor records: \
            on any mismatch the command exits 1 (a file given with -o is then not created).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The dump's name (dump-list).")
    var name: String

    @Option(help: "The database whose dump to write (needed when the dump holds several).")
    var database: String?

    @Flag(help: "Write the roles and tablespaces (pg_dumpall --globals-only's SQL) instead.")
    var globals = false

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Where to write: a new file (mode 0600), or - for standard output (default).", valueName: "file"))
    var output: String = "-"

    @OptionGroup var thawing: ThawOptions

    func run() throws {
        if globals, database != nil { throw ValidationError("--globals and --database exclude each other") }
        let invocation = try Invocation(global)
        try invocation.run {
            let repository = try invocation.readingRepository()
            let run = try DumpCatalog(repository: repository).run(named: name)
            let dump = globals ? try run.globals() : try run.dump(of: database)
            let thaw = PlanThaw(storage: repository.storage, objects: ArchivedObject.among(try dump.storedObjects(in: repository), backup: nil))
            if !thaw.objects.isEmpty {
                var progress = try thaw.progress()
                if let tier = thawing.tier, !progress.isDone {
                    StandardError.write(try thaw.request(tier: tier, days: thawing.thawDays, after: progress) + "\n")
                    progress = try thaw.progress()
                }
                if !progress.isDone { throw DumpError.archived(dump: "\(run.name) \(dump.archive)", progress: progress.text, thawRequested: thawing.tier != nil) }
            }
            let reader = try dump.reader(in: repository)
            defer { reader.close() }
            if output == "-" {
                try reader.copy(to: SystemFile.adopting(dup(1), path: "standard output"))
            } else {
                try AtomicFile.write(to: output, mode: 0o600, durable: true) { try reader.copy(to: $0) }
            }
        }
    }
}
