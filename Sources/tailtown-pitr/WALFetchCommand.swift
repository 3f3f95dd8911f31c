import ArgumentParser
import PITRArchive
import PITRStorage
import PITRSupport

struct WALFetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-fetch",
        abstract: "Restore one WAL file (restore_command = 'tailtown-pitr wal-fetch %f %p').",
        discussion: """
            Exit 0 when fetched; 1 when the archive does not have the file (the end of the archive); \
            200 on any other failure, so that PostgreSQL stops recovery instead of ending it early, \
            including a hole: a missing file the archive holds later WAL of (TAILTOWN_FETCH_GAP_GRACE). \
            In a standby (standby.signal) a missing file and a repository that stays unreachable exit 1, \
            so PostgreSQL asks again later and can fall back to streaming. \
            During recovery a background prefetcher stages the next segments (TAILTOWN_PREFETCH, 0 turns it off).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The WAL file name to fetch (%f).", valueName: "name"))
    var name: String

    @Argument(help: ArgumentHelp("Where to write it (%p).", valueName: "destination"))
    var destination: String

    func run() throws {
        try Self.fetch(flags: global.flags, name: name, destination: destination)
    }

    /// The command itself, also run without ArgumentParser (`PerSegmentCommand`); `flags` keyed by setting name.
    static func fetch(flags: [String: String], name: String, destination: String) throws {
        let invocation = try Invocation(flags: flags, failureStatus: ExitStatus.abortRecovery)
        let outcome: WALFetch.Outcome
        do {
            let repository = try invocation.repository()
            defer { invocation.logRequests(of: repository) }
            outcome = try WALFetch(repository: repository, log: invocation.log, prefetch: try prefetch(invocation, flags: flags),
                                   gapGrace: try invocation.settings.fetchGapGrace(), second: try invocation.secondRepository(first: repository)?.second)
                .fetch(name: name, to: destination)
        } catch let error as StorageError where DataDirectory.isStandby(DataDirectory.containing(walPath: destination)) {
            if case .unreachable = error {
                invocation.log.warning("\(error.description); the standby goes on without it")
                throw ExitCode(ExitStatus.notFound)
            }
            invocation.log.error(error.description)
            throw ExitCode(ExitStatus.abortRecovery)
        } catch let error as PITRError {
            invocation.log.error(error.description)
            throw ExitCode(ExitStatus.abortRecovery)
        }
        switch outcome {
        case .notFound: throw ExitCode(ExitStatus.notFound)
        case .staged: invocation.log.debug("'\(name)' handed over from the prefetcher's staging folder")
        case .fetched: break
        }
    }

    private static func prefetch(_ invocation: Invocation, flags: [String: String]) throws -> WALFetch.Prefetch? {
        let depth = try invocation.settings.prefetch()
        guard depth > 0, let launcher = DetachedHelperLauncher.sameBinary(flags: flags) else { return nil }
        return WALFetch.Prefetch(depth: depth, launcher: launcher)
    }
}
