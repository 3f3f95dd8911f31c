import ArgumentParser
import PITRBackup
import PITRMonitoring
import PITRRetention
import PITRSupport

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
            let repository = try invocation.repository()
            let (backups, unreadable) = try BackupCatalog(repository: repository).scan()

            let now = UTCTime.now()
            let retention = RetentionClassification(backups: backups, permanent: try PermanentMarks(repository: repository).list(),
                                                    policy: try invocation.settings.retentionPolicy(), now: now)
            print(json ? BackupListing.json(backups, retention: retention) : BackupListing.table(backups, now: now, retention: retention), terminator: "")
            // The others are listed; a descriptor that cannot be used still fails the command, naming its backup.
            for backup in unreadable.dropLast() { invocation.log.error("backup \(backup.backup) is not listed: \(backup.error)") }
            if let last = unreadable.last { throw last.error }
        }
    }
}
