import ArgumentParser
import PITR

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the repository without restoring: WAL chains, history files, every object; exit 0 only if all is well.",
        discussion: """
            Every backup needs its WAL from start to stop; the backups that anchor the recoverable window \
            (kept as daily by TAILTOWN_RETAIN, and the newest) need every segment up to the newest one, on \
            every timeline branching off them. Gaps are named with the time range they cut out. Every object's \
            header and trailer are checked; --deep decrypts and authenticates every object end to end. \
            The outcome is recorded in the repository for check and status.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Decode every object: decrypt, decompress and compare its digest (reads the whole repository).")
    var deep = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let invocation = try Invocation(global)
        let report = try invocation.run {
            let repository = try invocation.repository()
            try repository.checkExists()
            let inventory = try RepositoryInventory.load(repository: repository)
            let report = RepositoryVerifier(inventory: inventory, policy: try invocation.settings.retentionPolicy(),
                                            now: UTCTime.now(), deep: deep).run()
            do {
                try VerifyRecord(report).save(in: repository)
            } catch let error as PITRError {
                invocation.log.warning("cannot record the outcome for check and status: \(error.description)")
            }
            return report
        }
        print(json ? report.json : report.text, terminator: "")
        if !report.isSound { throw ExitCode(1) }
    }
}
