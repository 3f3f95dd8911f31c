import ArgumentParser
import PITRRetention
import PITRSupport

struct BackupMarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-mark",
        abstract: "Make a backup permanent (--keep) or subject to the retention policy again (--unkeep).",
        discussion: "A permanent backup is never deleted by delete, which also keeps the WAL from its start to its stop."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Keep this backup forever.", valueName: "name"))
    var keep: String?

    @Option(help: ArgumentHelp("Remove the permanent mark of this backup.", valueName: "name"))
    var unkeep: String?

    func validate() throws {
        guard (keep == nil) != (unkeep == nil) else {
            throw ValidationError("give exactly one of --keep NAME or --unkeep NAME")
        }
    }

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            let marks = PermanentMarks(repository: try invocation.repository())
            if let keep {
                try marks.keep(keep, now: UTCTime.now())
                print("backup \(keep) is permanent")
            } else if let unkeep {
                try marks.unkeep(unkeep, now: UTCTime.now())
                print("backup \(unkeep) follows the retention policy again")
            }
        }
    }
}
