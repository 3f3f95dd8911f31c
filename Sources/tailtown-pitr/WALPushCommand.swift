import ArgumentParser
import PITRArchive


struct WALPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-push",
        abstract: "Archive one WAL file (archive_command = 'tailtown-pitr wal-push %p').",
        discussion: """
            Exit 0 when the file is stored, or was already stored with the same content; 1 otherwise, and PostgreSQL retries. \
            A background pusher stores the next .ready segments ahead of PostgreSQL's calls (TAILTOWN_PUSH_AHEAD, 0 turns it off; \
            TAILTOWN_UPLOAD_CONCURRENCY). With TAILTOWN_REPO2, the file's name is queued for the second repository, which a \
            background copier fills.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The WAL file: a segment, .partial, .history or .backup file (%p).", valueName: "path"))
    var path: String

    func run() throws {
        try Self.push(flags: global.flags, path: path)
    }

    /// The command itself, also run without ArgumentParser (`PerSegmentCommand`); `flags` keyed by setting name.
    static func push(flags: [String: String], path: String) throws {
        let invocation = try Invocation(flags: flags)
        try invocation.run {
            let launcher = try invocation.settings.pushAhead() > 0 ? DetachedHelperLauncher.sameBinary(flags: flags) : nil
            let repository = try invocation.repository()
            defer { invocation.logRequests(of: repository) }
            let copy = try invocation.settings.secondRepository().map { second in
                CopyHandOver(second: try second.repository().description, launcher: DetachedHelperLauncher.sameBinary(flags: flags)) { identity in
                    try invocation.secondRepository(first: repository)?.setUp(archives: [identity])
                }
            }
            let push = WALPush(repository: repository, options: try invocation.objectOptions(key: repository.key), log: invocation.log,
                               pushAhead: launcher, copy: copy)
            switch try push.push(path: path) {
            case .stored(let bytes): invocation.log.debug("archived '\(path)' (\(bytes) bytes)")
            case .pushedAhead: invocation.log.debug("'\(path)' was already stored by push-ahead")
            case .alreadyArchived: break
            }
        }
    }
}
