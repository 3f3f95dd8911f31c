import ArgumentParser
import PITRWAL
import PITRBackup
import PITRSupport

struct BackupPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-push",
        abstract: "Take a base backup over the replication protocol and store it in the repository.",
        discussion: """
            Connects like psql (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ~/.pgpass, or --dbname), \
            streams BASE_BACKUP through compression and encryption into backups/<name>/, waits until the \
            WAL the backup needs is archived, and writes the descriptor last: a listed backup is complete. \
            Ctrl-C aborts the upload and lists nothing.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: [.customShort("d"), .long], help: ArgumentHelp("A libpq connection string or URI (default: the PG* environment).", valueName: "conninfo"))
    var dbname: String = ""

    @Option(help: "The label the server records in backup_label.")
    var label: String = "tailtown-pitr"

    @Option(help: "The start checkpoint: fast (default) or spread.")
    var checkpoint: String = "fast"

    @Option(help: "full; incremental: only what changed since the newest backup of the cluster; automatic (default): incremental until the last full backup is TAILTOWN_FULL_EVERY old.")
    var type: String = "automatic"

    @Flag(inversion: .prefixedNo, help: "Wait until the backup's WAL is in the repository before listing it.")
    var waitWal = true

    @Option(help: "Seconds the WAL wait lasts before failing.")
    var walTimeout: Int = 300

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            guard let mode = CheckpointMode(rawValue: checkpoint) else {
                throw ValidationError("--checkpoint must be fast or spread, not '\(checkpoint)'")
            }
            guard let backupType = BackupTypeChoice.Request(rawValue: type) else {
                throw ValidationError("--type must be full, incremental or automatic, not '\(type)'")
            }
            // Before any thread starts: the signal mask is inherited.
            let interruption = try InterruptSignal()
            let (repository, mirrored) = try invocation.writingRepository()
            defer { invocation.reportSecond(mirrored) }
            let push = BackupPush(repository: repository, options: try invocation.objectOptions(key: repository.key),
                                  interruption: interruption, log: invocation.log)
            let progress = BackupProgress()
            push.onProgress = { progress.update(done: $0, estimated: $1) }
            var request = BackupPushRequest()
            request.conninfo = dbname
            request.label = label
            request.checkpoint = mode
            request.type = backupType
            request.fullEverySeconds = try invocation.settings.fullBackupEvery()
            request.waitForWAL = waitWal
            request.walTimeoutSeconds = walTimeout
            let started = UTCTime.now()
            let descriptor: BackupDescriptor
            do {
                descriptor = try push.run(request)
            } catch {
                progress.finish()
                throw error
            }
            progress.finish()
            let seconds = max(1, UTCTime.now().secondsSinceEpoch - started.secondsSinceEpoch)
            print("backup \(descriptor.name): \(descriptor.type.rawValue)\(descriptor.parent.map { " on \($0)" } ?? ""), "
                  + "\(String(byteCount: descriptor.fullBytes)) represented, \(String(byteCount: descriptor.rawBytes)) raw, "
                  + "\(String(byteCount: descriptor.storedBytes)) stored in \(seconds) s, "
                  + "LSN \(descriptor.startLSN)-\(descriptor.stopLSN) timeline \(descriptor.timeline)"
                  + (push.requests.map { ", \($0.writes) PUT/POST/LIST and \($0.reads) GET/HEAD requests" } ?? ""))
        }
    }
}
