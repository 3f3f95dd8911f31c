import ArgumentParser
import PITRRestore
import PITRStorage
import PITRSupport
import PITRVerify
import PITRWAL


struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new data directory and set up recovery to a point in time.",
        discussion: """
            Give exactly one target: --to TIME (RFC 3339 or PostgreSQL's format, with a zone) or --to latest, \
            --lsn, --xid, --name or --immediate. The plan is proven and printed before anything is written \
            (--dry-run stops there). The copy recovers through 'tailtown-pitr wal-fetch' with the settings \
            written to a config file outside the data directory. See docs/recovery.md.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Recover to this time (with a zone), or 'latest' for the end of the archive.", valueName: "time|latest"))
    var to: String?

    @Option(help: ArgumentHelp("Recover to this WAL location, such as 0/5000028.", valueName: "lsn"))
    var lsn: String?

    @Option(help: ArgumentHelp("Recover to the end of this transaction.", valueName: "xid"))
    var xid: UInt32?

    @Option(help: ArgumentHelp("Recover to this restore point (pg_create_restore_point).", valueName: "name"))
    var name: String?

    @Flag(help: "Recover only to the end of the backup (the earliest consistent point).")
    var immediate = false

    @Option(help: ArgumentHelp("Recover to just before this incident, an id 'incidents' lists, with its timeline and cluster: where a paused copy can read its tables (before the locks its transaction took; with --action promote, just before its commit, promoted there).", valueName: "id"))
    var beforeIncident: String?

    @Option(help: ArgumentHelp("The data directory to create; it must be missing or empty.", valueName: "dir"))
    var targetDir: String

    @Option(help: ArgumentHelp("latest, current (the backup's) or a timeline number; without it, latest, and a target on two timelines is refused.", valueName: "timeline"))
    var timeline: String?

    @Option(help: ArgumentHelp("Restore this backup instead of the one the planner chooses.", valueName: "name"))
    var backup: String?

    @Option(help: ArgumentHelp("Restore this cluster when the repository holds several (after a pg_upgrade), such as 15-7312093440512345678.", valueName: "major-sysid"))
    var cluster: String?

    @Flag(help: "Stop just before the target instead of just after it.")
    var exclusive = false

    @Option(help: ArgumentHelp("At the target: pause (default with a target), promote (default for latest) or shutdown.", valueName: "action"))
    var action: String?

    @Flag(help: "Write standby.signal instead of recovery.signal: keep following the archive.")
    var standby = false

    @Flag(help: "Keep the backup's archive_mode (off by default, so the copy never archives into production's repository).")
    var archive = false

    @Option(help: ArgumentHelp("Put tablespace OID in DIR instead of its original location (repeatable).", valueName: "oid=dir"))
    var tablespaceMap: [String] = []

    @Option(help: ArgumentHelp("The config file restore_command reads (default: <target-dir>.tailtown-pitr.conf beside the target).", valueName: "file"))
    var recoveryConfig: String?

    @Option(help: ArgumentHelp("The user PostgreSQL runs as, who owns the files (default: the owner of the target's parent, else postgres).", valueName: "user"))
    var owner: String?

    @Option(help: ArgumentHelp("The port the restored server listens on (written to postgresql.auto.conf).", valueName: "port"))
    var port: Int?

    @Option(help: ArgumentHelp("PostgreSQL's bin folder for --start (default: of the backup's version, else pg_config --bindir).", valueName: "dir"))
    var pgBin: String?

    @Flag(help: "Print the plan and exit without writing anything.")
    var dryRun = false

    @Flag(help: "Start PostgreSQL on the restored directory and wait until it reaches the target.")
    var start = false

    @OptionGroup var thawing: ThawOptions

    @Flag(help: "Go on with a restore whose thaw an earlier --thaw requested: request nothing, restore once every object is readable.")
    var resume = false

    @Option(help: ArgumentHelp("Wait while the thaw is under way, checking every this many seconds, instead of exiting (status 75) to be run again with --resume.", valueName: "seconds"))
    var thawWait: Double?

    func validate() throws {
        let targets = [to != nil, lsn != nil, xid != nil, name != nil, immediate, beforeIncident != nil].filter { $0 }.count
        guard targets == 1 else { throw ValidationError("give exactly one target: --to, --lsn, --xid, --name, --immediate or --before-incident") }
        if beforeIncident != nil, exclusive || timeline != nil || cluster != nil {
            throw ValidationError("--before-incident sets the target's --exclusive, --timeline and --cluster itself")
        }
        if let action, RecoveryAction(rawValue: action) == nil { throw ValidationError("--action must be promote, pause or shutdown, not '\(action)'") }
        if thawing.tier != nil, resume { throw ValidationError("--resume goes on with an earlier --thaw: give one of the two") }
        if dryRun, thawing.tier != nil { throw ValidationError("--dry-run requests nothing: leave out --thaw") }
        if let thawWait, thawWait <= 0 { throw ValidationError("--thaw-wait must be a positive number of seconds") }
        _ = try tablespaces()
    }

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            var request = RestoreRequest(target: try target(), timeline: try timelineChoice(), backupName: backup, exclusive: exclusive,
                                         cluster: try cluster.map(ClusterIdentity.init(archiveID:)))
            if let beforeIncident {
                let incident = try IncidentFinder(repository: try invocation.repository(), openRepository: invocation.repository)
                    .incident(id: beforeIncident)
                let tables = Set(incident.tables.compactMap { $0.name?.qualified }).sorted()
                print("incident \(incident.id): \(incident.kind.rawValue), xid \(incident.xid), committed at \(incident.commitTime)"
                      + (tables.isEmpty ? "" : ", tables \(tables.joined(separator: ", "))"))
                switch incident.target {
                case .beforeTransaction(let xid, _):
                    request.target = .xid(xid)
                case .beforeLSN(let lsn):
                    request.target = .lsn(lsn)
                }
                request.exclusive = true
                request.timeline = .number(incident.timeline)
                request.cluster = incident.cluster
            }
            var options = RestoreOptions(targetDirectory: ProcessPaths.absolute(targetDir),
                                         executable: ProcessPaths.executable() ?? CommandLine.arguments[0])
            options.tablespaceMap = try tablespaces()
            options.recoveryConfigFile = recoveryConfig.map(ProcessPaths.absolute)
            options.owner = owner
            options.action = action.flatMap(RecoveryAction.init(rawValue:))
            options.standby = standby
            options.archive = archive
            options.port = port
            var restore = RestoreRun(procedure: try invocation.restoreProcedure(pgBin: pgBin))
            restore.dryRun = dryRun
            restore.start = start
            if let tier = thawing.tier {
                restore.thawChoice = .request(tier, days: thawing.thawDays)
            } else if resume {
                restore.thawChoice = .resume
            }
            restore.thawCheckSeconds = thawWait
            // Paused just before a DROP's or TRUNCATE's commit, recovery would still hold the lock it logged.
            restore.readableStop = beforeIncident != nil && options.action != .promote
            // The estimate is a courtesy: a repository whose drills cannot be read still restores, with assumed rates.
            restore.estimate = (try? DrillRecord.estimate(in: try invocation.repository())) ?? .assumed
            // Each object is warned of once as it is met; the sum, at the end, where it is seen.
            defer { invocation.log.warnDeleteMarkerSummary() }
            do {
                try restore.run(request, options) { print($0) }
            } catch let pending as ThawError where pending.isPending {
                invocation.log.error(pending.description)
                throw ExitCode(ExitStatus.thawPending)
            }
        }
    }

    private func target() throws -> RecoveryTarget {
        if let to { return to == "latest" ? .latest : .time(try PostgresTimestamp(parsing: to)) }
        if let lsn { return .lsn(try LSN(parsing: lsn)) }
        if let xid { return .xid(xid) }
        if let name { return .name(name) }
        return .immediate
    }

    private func timelineChoice() throws -> TimelineChoice {
        guard let timeline else { return .automatic }
        switch timeline {
        case "latest": return .latest
        case "current": return .current
        default:
            guard let number = UInt32(timeline), number > 0 else { throw ValidationError("--timeline must be latest, current or a number, not '\(timeline)'") }
            return .number(TimelineID(number))
        }
    }

    private func tablespaces() throws -> [UInt32: String] {
        var map: [UInt32: String] = [:]
        for entry in tablespaceMap {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let oid = UInt32(parts[0]), parts[1].hasPrefix("/") else {
                throw ValidationError("--tablespace-map wants OID=/absolute/dir, not '\(entry)'")
            }
            map[oid] = String(parts[1])
        }
        return map
    }
}
