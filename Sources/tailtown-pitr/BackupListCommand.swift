import ArgumentParser
import PITR

struct BackupListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-list",
        abstract: "List the complete backups in the repository, newest last.",
        discussion: "A backup is listed once its descriptor is written, that is, once it is complete and its WAL archived."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print every descriptor field as JSON.")
    var json = false

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            let backups = try BackupCatalog(repository: try invocation.repository()).list()
            print(json ? BackupListing.json(backups) : BackupListing.table(backups, now: UTCTime.now()), terminator: "")
        }
    }
}
