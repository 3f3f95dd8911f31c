import ArgumentParser
import PITRNative
import PITRSupport

struct TailtownPITR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tailtown-pitr",
        abstract: "PostgreSQL WAL archive and point-in-time recovery.",
        discussion: "Settings come from flags, then TAILTOWN_* environment variables, then the config file (--config or TAILTOWN_CONFIG), then /etc/tailtown-pitr.conf.",
        version: VersionText.text,
        subcommands: [WALPushCommand.self, WALFetchCommand.self, WALPrefetchCommand.self, WALPushAheadCommand.self, WALCopyCommand.self, BackupPushCommand.self, BackupListCommand.self, BackupMarkCommand.self, DumpPushCommand.self, DumpListCommand.self, DumpFetchCommand.self, AcceptClusterCommand.self, RestoreCommand.self, IncidentsCommand.self, DeleteCommand.self, VerifyCommand.self, StatusCommand.self, CheckCommand.self, KeygenCommand.self, ConfigCommand.self]
    )

    @OptionGroup var global: GlobalOptions
}

@main
enum Main {
    static func main() {
        CryptoLibrary.initialiseWithoutCleanupAtExit()
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            if let command = PerSegmentCommand(arguments) {
                try command.run()
                return
            }
            // Not for wal-push and wal-fetch: one segment's buffers, and glibc's dynamic threshold kept wal-fetch
            // 6 ms faster (file://, 14 against 20 ms), where a long restore or backup-push keeps its memory down.
            ProcessMemory.returnLargeBuffersWhenFreed()
            var command = try TailtownPITR.parseAsRoot(arguments)
            try command.run()
        } catch {
            // A mistyped restore_command must stop recovery, not read as "end of archive":
            // the argument parser's usage status (64) is below 126, so wal-fetch turns it into 200.
            if arguments.contains("wal-fetch"), TailtownPITR.exitCode(for: error) == .validationFailure {
                StandardError.write("tailtown-pitr: error: \(TailtownPITR.message(for: error))\n")
                exit(ExitStatus.abortRecovery)
            }
            TailtownPITR.exit(withError: error)
        }
    }
}
