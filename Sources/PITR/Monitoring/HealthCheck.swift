import PITRRepository
import PITRSupport

/// `check`: the alarms for cron and monitoring (docs/operations.md, "Check").
///
/// A backup older than `maxBackupAge` is a problem, and so is no backup. The newest archived
/// segment older than `maxWALAge` is a problem unless the server, when `check` can ask it, has
/// not finished another segment since: an idle cluster switches no segment and must not raise an
/// alarm. A busy cluster whose archiver is stuck has finished segments the repository lacks, and
/// pg_stat_archiver's last failure more recent than its last success is reported in any case.
/// A newest backup whose chain is broken is one. A last `verify` that found problems is one too, and so is a last `verify --window` that found unprovable stretches, and so is a current cluster (the server's, else
/// the newest: after a pg_upgrade, the new one) without a backup while older clusters have some.
public struct HealthCheck: Sendable {
    public var maxBackupAge: Int64 = 26 * 3600
    public var maxWALAge: Int64 = 3600
    /// `check --max-rto`: the last restore drill took longer (or failed) is a problem; nil: not checked.
    public var maxRTO: Int64?
    /// `check --max-drill-age`: no restore drill within this many seconds is a problem; nil: not checked.
    public var maxDrillAge: Int64?
    /// `check --max-dump-age`: no dump run finished within this many seconds is a problem; nil: not checked.
    public var maxDumpAge: Int64?
    /// `check --max-copy-lag`: the second repository lacking an object stored longer ago, or unreadable, is a problem; nil: not checked.
    public var maxCopyLag: Int64?

    public init(maxBackupAge: Int64 = 26 * 3600, maxWALAge: Int64 = 3600) {
        self.maxBackupAge = maxBackupAge
        self.maxWALAge = maxWALAge
    }

    /// The second repository's problem, if any: unreadable, or lacking an object stored more than `maxCopyLag` ago.
    public func problems(_ lag: CopyLag, now: UTCTime) -> [String] {
        guard let maxCopyLag else { return [] }
        if let unreachable = lag.unreachable { return ["the second repository \(lag.second) cannot be read: \(unreachable)"] }
        let age = lag.age(now: now)
        guard lag.files > 0, age > maxCopyLag else { return [] }
        return ["the second repository \(lag.second) lacks \(lag.files) objects (\(String(byteCount: lag.bytes))), the oldest stored "
                + "\(DurationText.text(age)) ago (more than --max-copy-lag \(DurationText.text(maxCopyLag)))"]
    }

    /// One line per problem; empty when all is well.
    public func problems(_ status: RepositoryStatus, server: ServerArchiveState?) -> [String] {
        var problems: [String] = []
        if let newest = status.newestBackup, let age = status.backupAge {
            if let problem = newest.chainProblem {
                problems.append("newest backup \(newest.name) cannot be restored: \(problem); take a full backup (backup-push --type full)")
            }
            if age > maxBackupAge {
                problems.append("newest backup \(newest.name) finished \(String(age: age)) ago (at \(newest.stopTime.iso8601)), more than \(String(age: maxBackupAge)): check the backup-push schedule and its log")
            }
        } else {
            problems.append("the repository holds no backup: run backup-push")
        }
        if let current = status.current, current.backups == 0, status.newestBackup != nil {
            problems.append("cluster \(current.identity.archiveID) archives WAL (to \(current.newestSegment?.fileName ?? "none yet")) but has no backup: point-in-time recovery of it starts only at its first backup (after a pg_upgrade, run backup-push now)")
        }
        if let segment = status.newestSegment, let age = status.walAge {
            if age > maxWALAge {
                if let server, let segmentSize = status.segmentSize {
                    let current = server.currentLSN.rawValue / segmentSize.bytes
                    let archived = segment.number(segmentSize)
                    if current > archived + 1 {
                        problems.append("newest archived WAL \(segment.fileName) is \(String(age: age)) old and the server has finished \(current - archived - 1) segments since (now at \(server.currentLSN)): archiving is stuck or behind; check archive_command and pg_stat_archiver")
                    }
                } else {
                    problems.append("newest archived WAL \(segment.fileName) is \(String(age: age)) old, more than \(String(age: maxWALAge)): check archive_command, or connect check to the server so an idle cluster is told apart")
                }
            }
        } else if status.newestSegmentTime == nil {
            problems.append(status.newestSegment == nil ? "the repository holds no archived WAL: check archive_mode and archive_command"
                            : "the age of the newest archived WAL is unknown: the storage lists no modification times")
        }
        if let server, let failing = server.failingWAL {
            problems.append("the server's archiver is failing: last failure on \(failing) at \(server.failingSince ?? "?"), after its last success; see the server log for archive_command's error")
        }
        if let window = status.lastWindow, window.unprovableStretches > 0 {
            problems.append("the last verify --window (\(window.time.iso8601)) found \(window.unprovableStretches) unprovable stretch\(window.unprovableStretches == 1 ? "" : "es") "
                            + "(\(String(age: window.unprovableSeconds)) of the window): run verify --window to see them")
        }
        for backup in status.unreadableBackups {
            problems.append("backup \(backup.backup) cannot be used, restore leaves it out and delete refuses to run: \(backup.reason)")
        }
        let lastDrill = status.drills.last
        if let maxRTO, let drill = lastDrill {
            if !drill.passed {
                problems.append("the last restore drill (\(drill.time.iso8601), backup \(drill.backup)) failed: run verify --restore-test to see why")
            } else if drill.totalSeconds > Double(maxRTO) {
                problems.append("the last restore drill (\(drill.time.iso8601)) took \(Stopwatch.text(drill.totalSeconds)), more than the RTO of \(String(age: maxRTO)) (--max-rto)")
            }
        }
        if let maxDrillAge {
            if let drill = lastDrill {
                let age = status.time.secondsSinceEpoch - drill.time.secondsSinceEpoch
                if age > maxDrillAge {
                    problems.append("the last restore drill ran \(String(age: age)) ago (at \(drill.time.iso8601)), more than \(String(age: maxDrillAge)) (--max-drill-age): run verify --restore-test")
                }
            } else {
                problems.append("no restore drill was ever recorded in the repository (--max-drill-age): run verify --restore-test")
            }
        }
        if let maxDumpAge {
            if let dump = status.newestDump, let age = status.dumpAge {
                if age > maxDumpAge {
                    problems.append("newest dump \(dump.name) finished \(String(age: age)) ago (at \(dump.stopTime.iso8601)), more than \(String(age: maxDumpAge)) (--max-dump-age): check the dump-push schedule and its log")
                }
            } else {
                problems.append(status.dumpProblem.map { "the dumps cannot be listed: \($0)" } ?? "the repository holds no dump (--max-dump-age): run dump-push")
            }
        }
        if let verify = status.lastVerify, !verify.sound {
            problems.append("the last verify (\(verify.time.iso8601)) found \(verify.problems) problem\(verify.problems == 1 ? "" : "s"): run verify to see them")
        }
        return problems
    }
}
