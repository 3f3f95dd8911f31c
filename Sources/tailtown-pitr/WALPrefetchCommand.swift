import ArgumentParser
import PITRArchive
import PITRSupport

/// Started by wal-fetch, not by people: the background prefetcher of one data directory.
struct WALPrefetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-prefetch",
        abstract: "Stage the next WAL segments of a recovery (started by wal-fetch).",
        shouldDisplay: false
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The data directory in recovery (absolute).", valueName: "data-directory"))
    var dataDirectory: String

    func run() throws {
        DetachedHelperLauncher.detachFromCaller()
        // Below PostgreSQL's startup process, which replays while this decodes the segments after:
        // on a machine with few cores, replay must win the CPU, or fetching ahead slows recovery down.
        _ = nice(10)
        let invocation = try Invocation(global)
        try invocation.run {
            try Prefetcher(repository: try invocation.repository(), dataDirectory: dataDirectory,
                           depth: try invocation.settings.prefetch(), log: invocation.log).run()
        }
    }
}
