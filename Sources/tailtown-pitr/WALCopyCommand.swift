import ArgumentParser
import PITRArchive

/// Started by wal-push, not by people: the copier of one data directory's WAL to the second repository.
struct WALCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-copy",
        abstract: "Copy the archived WAL files queued for TAILTOWN_REPO2 from the first repository (started by wal-push).",
        shouldDisplay: false
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The data directory whose queue to copy (absolute).", valueName: "data-directory"))
    var dataDirectory: String

    func run() throws {
        DetachedHelperLauncher.detachFromCaller()
        let invocation = try Invocation(global)
        try invocation.run {
            try BackgroundCopier(dataDirectory: dataDirectory, log: invocation.log) {
                try invocation.secondRepository(first: try invocation.repository())
            }.run()
        }
    }
}
