import PITRNative
import PITRSupport
import PITRWAL

/// Whether an incremental backup on top of a parent can be taken the server-side way (UPLOAD_MANIFEST and
/// BASE_BACKUP ... INCREMENTAL, PostgreSQL 17 and later), asked on the replication connection (`replication=database`
/// also takes SQL) before anything is written. It asks what the server will check: the major, `summarize_wal`, a
/// summarizer that keeps up, and WAL summaries covering the WAL since the parent started (`SummaryCoverage`).
/// The server checks again when the backup starts; its refusal then is `BackupError.incrementalRefused`.
package struct WALSummaryProbe {
    package enum Verdict: Equatable, Sendable {
        case usable
        /// Why not, in one line; for `summarize_wal = off`, with how to turn it on.
        case unusable(reason: String)
    }

    /// The first major with WAL summaries.
    package static let firstMajor = 17
    /// How `summarize_wal` is turned on: a reload is enough (it is a sighup setting).
    package static let howToTurnOn = "turn it on with ALTER SYSTEM SET summarize_wal = on; SELECT pg_reload_conf(); (a reload, no restart; wal_level must be replica or logical)"

    let connection: PostgresConnection
    let interruption: InterruptSignal?
    /// How long the summarizer may take to read the WAL written up to the probe (the server waits for it too, but without a bound
    /// while it progresses).
    let catchUpSeconds: Int

    package init(connection: PostgresConnection, interruption: InterruptSignal?, catchUpSeconds: Int = 30) {
        self.connection = connection
        self.interruption = interruption
        self.catchUpSeconds = catchUpSeconds
    }

    /// The verdict for an incremental on top of `parent` (name, start LSN and timeline, major). Throws only when the
    /// server cannot be asked (a lost connection, an answer of the wrong shape).
    package func verdict(parent: BackupDescriptor) throws -> Verdict {
        // pg_get_wal_summarizer_state() and pg_available_wal_summaries() are PUBLIC: a replication role may call them.
        do {
            return try ask(parent)
        } catch PostgresError.serverError(_, let message, _) {
            throw BackupError.refused(message: message)
        }
    }

    private func ask(_ parent: BackupDescriptor) throws -> Verdict {
        let major = connection.serverVersion / 10000
        guard major >= Self.firstMajor else {
            return .unusable(reason: "PostgreSQL \(major) has no WAL summaries; the server-side way needs PostgreSQL \(Self.firstMajor) or later")
        }
        let parentMajor = parent.serverVersion / 10000
        guard parentMajor == major else {
            return .unusable(reason: "backup \(parent.name) was taken on PostgreSQL \(parentMajor), this server runs \(major)")
        }
        let summarizing = try connection.query("SELECT setting FROM pg_settings WHERE name = 'summarize_wal'").values.first?.first
        guard summarizing == "on" else {
            return .unusable(reason: "summarize_wal is off on the server: \(Self.howToTurnOn)")
        }
        let system = try connection.query("IDENTIFY_SYSTEM")
        guard let timeline = system.value("timeline").flatMap({ UInt32($0) }).map({ TimelineID($0) }),
              let position = system.value("xlogpos").flatMap({ try? LSN(parsing: $0) }) else {
            throw BackupError.protocolViolation("IDENTIFY_SYSTEM \(system.values)")
        }
        let state = try waitForSummarizer(toRead: position, on: timeline)
        guard state.running else {
            return .unusable(reason: "the WAL summarizer is not running although summarize_wal is on: see the server log")
        }
        guard state.hasRead(position, on: timeline) else {
            return .unusable(reason: "the WAL summarizer has not caught up after \(catchUpSeconds) s: it has read to \(state.pending) on timeline "
                + "\(state.timeline), the server is at \(position) on timeline \(timeline)")
        }
        let coverage = SummaryCoverage(spans: SummaryCoverage.spans(current: timeline, history: try connection.timelineHistory(of: timeline)),
                                       summaries: try summaries(endingAfter: parent.startLSN), summarizedUpTo: state.summarized)
        if let gap = coverage.gap(parent: parent.name, start: parent.startLSN, timeline: parent.timeline) {
            return .unusable(reason: gap)
        }
        return .usable
    }

    /// `pg_get_wal_summarizer_state()`: the end of the summaries on disk, of what it has read, its process.
    private struct SummarizerState {
        let timeline: TimelineID
        let summarized: LSN
        let pending: LSN
        let running: Bool

        func hasRead(_ position: LSN, on timeline: TimelineID) -> Bool {
            self.timeline == timeline && pending >= position
        }
    }

    /// Polls the summarizer until it has read the WAL up to `position` on `timeline`, at most `catchUpSeconds`; returns
    /// its state then.
    private func waitForSummarizer(toRead position: LSN, on timeline: TimelineID) throws -> SummarizerState {
        let clock = Stopwatch()
        while true {
            let row = try connection.query("SELECT summarized_tli, summarized_lsn, pending_lsn, summarizer_pid FROM pg_get_wal_summarizer_state()")
            guard let tli = row.value("summarized_tli").flatMap({ UInt32($0) }),
                  let summarized = row.value("summarized_lsn").flatMap({ try? LSN(parsing: $0) }),
                  let pending = row.value("pending_lsn").flatMap({ try? LSN(parsing: $0) }) else {
                throw BackupError.protocolViolation("pg_get_wal_summarizer_state() \(row.values)")
            }
            let state = SummarizerState(timeline: TimelineID(tli), summarized: summarized, pending: pending,
                                        running: row.value("summarizer_pid") != nil)
            if (state.running && state.hasRead(position, on: timeline)) || clock.seconds >= Double(catchUpSeconds) { return state }
            if let interruption { try interruption.sleep(milliseconds: 200) } else { usleep(200_000) }
        }
    }

    /// `pg_available_wal_summaries()` that end after `lsn`, on any timeline.
    private func summaries(endingAfter lsn: LSN) throws -> [SummaryCoverage.Summary] {
        let rows = try connection.query("SELECT tli, start_lsn, end_lsn FROM pg_available_wal_summaries() WHERE end_lsn > '\(lsn)'::pg_lsn")
        return try rows.values.map { row in
            guard row.count == 3, let tli = row[0].flatMap({ UInt32($0) }),
                  let start = row[1].flatMap({ try? LSN(parsing: $0) }), let end = row[2].flatMap({ try? LSN(parsing: $0) }) else {
                throw BackupError.protocolViolation("pg_available_wal_summaries() row \(row)")
            }
            return SummaryCoverage.Summary(timeline: TimelineID(tli), start: start, end: end)
        }
    }
}
