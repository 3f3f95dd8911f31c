import PITRSupport
import PITRWAL

/// Which type of backup `backup-push` takes, and on which parent (docs/configuration.md, `TAILTOWN_FULL_EVERY`).
///
/// The parent is the newest backup of the same cluster (system identifier and major) whose chain is complete and
/// which lies on the current timeline's history: it stopped on the current timeline, or on an ancestor at or before
/// the point where the history left it. Left to choose, an incremental is taken on it unless its full backup started
/// `TAILTOWN_FULL_EVERY` ago or more (less a grace, so that a weekly full backup in a nightly schedule does not slip
/// by a day when it ran a few seconds late).
public struct BackupTypeChoice: Equatable, Sendable {
    public enum Request: String, CaseIterable, Sendable {
        case full, incremental
        /// Incremental while the last full backup is younger than `TAILTOWN_FULL_EVERY`, else full.
        case automatic
    }

    public let type: BackupType
    /// The backup an incremental holds the changes since; nil for a full backup.
    public let parent: BackupDescriptor?
    /// One line for the log, such as "full: no backup of this cluster yet".
    public let reason: String

    /// How much earlier than `TAILTOWN_FULL_EVERY` a full backup is already due: an hour, or a 24th of a shorter interval.
    public static func grace(_ fullEvery: Int64) -> Int64 { min(3600, fullEvery / 24) }

    /// - Parameters:
    ///   - catalog: the repository's usable backups, of every cluster.
    ///   - server: the cluster being backed up; `timeline` its current timeline, and `history` that timeline's
    ///     history (its ancestors, oldest first, each with the LSN where the history left it; empty on timeline 1).
    ///   - fullEvery: `TAILTOWN_FULL_EVERY` in seconds; 0 makes every automatic backup full.
    /// - Throws: `BackupError.noParent` when `request` is `.incremental` and no backup can be the parent.
    public init(request: Request, fullEvery: Int64, catalog: [BackupDescriptor], server: ClusterIdentity,
                timeline: TimelineID, history: [TimelineHistory.Entry], now: UTCTime) throws {
        let setting = "TAILTOWN_FULL_EVERY=\(DurationText.text(fullEvery))"
        if request == .full {
            self.init(type: .full, parent: nil, reason: "full: asked for")
            return
        }
        let parent: BackupDescriptor
        switch Self.parent(in: catalog, server: server, timeline: timeline, history: history) {
        case .failure(let refusal):
            guard request == .automatic else { throw BackupError.noParent(reason: refusal.text) }
            self.init(type: .full, parent: nil, reason: "full: \(refusal.text)")
            return
        case .success(let found):
            parent = found
        }
        let root = BackupChains(catalog).root(of: parent) ?? parent
        let age = now.secondsSinceEpoch - root.startTime.secondsSinceEpoch
        let last = "the last full backup \(root.name) is \(String(age: age)) old"
        switch request {
        case .automatic where fullEvery == 0:
            self.init(type: .full, parent: nil, reason: "full: \(setting) makes every backup full")
        case .automatic where age >= fullEvery - Self.grace(fullEvery):
            self.init(type: .full, parent: nil, reason: "full: \(last), \(setting)")
        case .automatic:
            self.init(type: .incremental, parent: parent, reason: "incremental on \(parent.name): \(last), under \(setting)")
        default:
            self.init(type: .incremental, parent: parent, reason: "incremental on \(parent.name): asked for; \(last)")
        }
    }

    init(type: BackupType, parent: BackupDescriptor?, reason: String) {
        self.type = type
        self.parent = parent
        self.reason = reason
    }

    /// The newest backup an incremental of `server` can be taken on, or why there is none.
    static func parent(in catalog: [BackupDescriptor], server: ClusterIdentity, timeline: TimelineID,
                       history: [TimelineHistory.Entry]) -> Result<BackupDescriptor, Refusal> {
        let own = catalog.filter { $0.identity == server }
        guard !own.isEmpty else {
            let older = catalog.filter { $0.systemIdentifier != server.systemIdentifier && $0.identity.majorVersion < server.majorVersion }
            if let previous = older.map(\.identity).max(by: { $0.majorVersion < $1.majorVersion }) {
                return .failure(Refusal("the first backup after a major upgrade: no backup of \(server.archiveID) yet, only of \(previous.archiveID)"))
            }
            return .failure(Refusal("no backup of this cluster (\(server.archiveID)) yet"))
        }
        func onHistory(_ backup: BackupDescriptor) -> Bool {
            if backup.stopTimeline == timeline { return true }
            guard let left = history.first(where: { $0.parent == backup.stopTimeline }) else { return false }
            return backup.stopLSN <= left.switchpoint
        }
        let reachable = own.filter(onHistory).sorted { ($0.stopLSN, $0.stopTime, $0.name) < ($1.stopLSN, $1.stopTime, $1.name) }
        guard let newest = reachable.last else {
            let newest = own.max { ($0.stopTime, $0.name) < ($1.stopTime, $1.name) }
            return .failure(Refusal("no backup of this cluster lies on timeline \(timeline)'s history"
                                    + (newest.map { " (the newest, \($0.name), stopped at \($0.stopLSN) on timeline \($0.stopTimeline))" } ?? "")))
        }
        let chains = BackupChains(catalog)
        guard let whole = reachable.last(where: chains.isComplete) else {
            return .failure(Refusal("no backup on timeline \(timeline)'s history can be restored (\(newest.name): "
                                    + (chains.problem(of: newest).map { "\($0)" } ?? "") + ")"))
        }
        return .success(whole)
    }

    /// Why no backup can be the parent, in words that follow "full: " or the refusal of `--type incremental`.
    struct Refusal: Error, Equatable {
        let text: String
        init(_ text: String) { self.text = text }
    }
}
