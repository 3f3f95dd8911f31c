import ArgumentParser
import PITR
#if canImport(Glibc)
import Glibc
#endif

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
        // Out of wal-fetch's session, so that the signals PostgreSQL sends its restore_command never reach it.
        _ = setsid()
        let invocation = try Invocation(global)
        try invocation.run {
            try Prefetcher(repository: try invocation.repository(), dataDirectory: dataDirectory,
                           depth: try invocation.settings.prefetch(), log: invocation.log).run()
        }
    }
}
