import ArgumentParser
import PITRArchive

/// Started by wal-push, not by people: the background pusher of one data directory.
struct WALPushAheadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-push-ahead",
        abstract: "Store the .ready WAL files ahead of PostgreSQL's calls (started by wal-push).",
        shouldDisplay: false
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The data directory whose pg_wal to archive (absolute).", valueName: "data-directory"))
    var dataDirectory: String

    func run() throws {
        DetachedHelperLauncher.detachFromCaller()
        let invocation = try Invocation(global)
        try invocation.run {
            try BackgroundPusher(dataDirectory: dataDirectory, limit: try invocation.settings.pushAhead(),
                                 concurrency: try invocation.settings.uploadConcurrency(), options: try invocation.objectOptions(key: try invocation.keyring()?.active),
                                 log: invocation.log, openRepository: invocation.repository).run()
        }
    }
}
