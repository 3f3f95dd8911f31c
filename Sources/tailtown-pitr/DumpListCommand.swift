import ArgumentParser
import PITRDump
import PITRMonitoring
import PITRRetention
import PITRSupport

struct DumpListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-list",
        abstract: "List the complete logical dumps in the repository, newest last.",
        discussion: "A dump is listed once its descriptor is written, that is, once pg_dump ended well and every byte is stored."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print every descriptor field as JSON.")
    var json = false

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            let runs = try DumpCatalog(repository: try invocation.repository()).list()
            let now = UTCTime.now()
            let retention = DumpRetention(runs: runs, policy: try invocation.settings.dumpRetentionPolicy(), now: now)
            print(json ? DumpListing.json(runs, retention: retention) : DumpListing.table(runs, now: now, retention: retention), terminator: "")
        }
    }
}
