import ArgumentParser
import PITRMonitoring
import PITRRetention
import PITRSupport

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the repository's dashboard: backups by retention class, RPO, recoverable window, gaps, sizes, archive rate.",
        discussion: "--html writes one self-contained page (no external assets) with the window drawn as a timeline."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the status as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Also write the status as a self-contained HTML page to this file.", valueName: "file"))
    var html: String?

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            let repository = try invocation.repository()
            let status = try RepositoryStatus(inventory: try RepositoryInventory.load(repository: repository),
                                              policy: try invocation.settings.retentionPolicy(), now: UTCTime.now(),
                                              prices: try invocation.settings.priceTable(),
                                              kmsKeys: invocation.settings.kmsKeyCount, dumpPolicy: try invocation.settings.dumpRetentionPolicy())
            if let html {
                try ReportFile.write(StatusHTML.render(status), to: html)
            }
            let lag = try invocation.secondRepository(first: repository)?.lag()
            print(json ? StatusJSON.render(status, copyLag: lag) : StatusText.render(status) + (lag.map { $0.text(now: status.time) + "\n" } ?? ""),
                  terminator: "")
        }
    }
}
