import PITRRepository
import PITRRestore
import PITRRetention
import PITRSupport
import PITRWAL

/// `verify --window`: proves that every point of the promised window can be restored (docs/operations.md,
/// "Proving the window"): for each cluster's archive, the segments are judged (`WindowSegmentJudge`), the
/// stretches worked out (`WindowStretches`), and the proof stored (`WindowProof`) for the next run, `check` and `status`.
public struct WindowVerifier {
    public let inventory: RepositoryInventory
    public let policy: RetentionPolicy
    public let now: UTCTime
    let log: Log

    public init(inventory: RepositoryInventory, policy: RetentionPolicy, now: UTCTime, log: Log) {
        self.inventory = inventory
        self.policy = policy
        self.now = now
        self.log = log
    }

    /// Over `repository` as listed now.
    public init(repository: Repository, policy: RetentionPolicy, log: Log) throws {
        self.init(inventory: try RepositoryInventory.load(repository: repository), policy: policy, now: UTCTime.now(), log: log)
    }

    /// Throws only when the repository cannot be read; an unreadable segment is a finding, not a failure.
    public func run() throws -> WindowReport {
        let repository = inventory.repository
        let decisions = inventory.classification(policy: policy, now: now).decisions
        var archives: [WindowReport.Archive] = []
        for archive in inventory.archives {
            let identity = archive.identity
            var remembered: [String: WindowProof.Entry] = [:]
            do {
                remembered = try WindowProof.load(archive: identity, from: repository)?.segments ?? [:]
            } catch {
                log.warning("\(error); proving every segment again")
            }
            let tree = TimelineTree(histories: archive.histories)
            let judge = WindowSegmentJudge(index: archive.index, tree: tree, remembered: remembered)
            var archived: [TimelineID: [UInt64]] = [:]
            for case .segment(let segment) in archive.index.files.keys {
                archived[segment.timeline, default: []].append(segment.number(archive.index.segmentSize))
            }
            // Every segment judged in WAL order first, so that a record crossing into the next segment finds it unread;
            // segments before the window are judged too: the proof covers the whole archive.
            for case .segment(let segment) in archive.index.files.keys.sorted(by: { $0.fileName < $1.fileName }) {
                _ = judge.verdict(segment)
            }
            let own = decisions.filter { $0.backup.identity == identity }
            let anchors = own.filter(\.anchorsWindow).map(\.backup)
            let stretches = WindowStretches(
                tree: tree, segmentSize: archive.index.segmentSize, archived: archived, backups: own.map(\.backup), anchors: anchors,
                windowStart: anchors.map(WindowStretches.stopMoment).min(),
                historyObject: { repository.storage.describe(archive.index.archive.key(for: .history($0))) },
                verdict: judge.verdict
            ).stretches()
            let result = WindowReport.Archive(identity: identity, stretches: stretches, segmentsRead: judge.reads, segmentsRemembered: judge.reused)
            log.info("verify --window: \(identity.archiveID): read \(judge.reads) segment(s), \(judge.reused) proven by earlier runs")
            let outcome = WindowProof.Outcome(time: now, provenStart: result.provenStart, provenEnd: result.provenEnd,
                                              unprovableSeconds: result.unprovableSeconds, unprovableStretches: result.unprovable.count)
            do {
                try WindowProof(outcome: outcome, segments: judge.proven).save(archive: identity, in: repository)
            } catch {
                log.warning("cannot store the window proof of \(identity.archiveID) for the next run, check and status: \(error)")
            }
            archives.append(result)
        }
        return WindowReport(time: now, archives: archives)
    }
}
