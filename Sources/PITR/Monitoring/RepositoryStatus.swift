import PITRBackup
import PITRDump
import PITRRestore
import PITRRetention
import PITRSupport
import PITRVerify
import PITRWAL

/// The dashboard's facts (docs/operations.md, "Status"): backups and the classes keeping them,
/// the newest backup and WAL with their ages, the recoverable window and its gaps, sizes by kind
/// and storage class, and the archive rate over the last day.
public struct RepositoryStatus: Sendable {
    public struct Backup: Sendable {
        public let name: String
        public let stopTime: UTCTime
        public let timeline: TimelineID
        public let storedBytes: Int
        public let classes: [RetentionClass]
        public let cluster: ClusterIdentity
        public let type: BackupType
        /// The backup an incremental holds the changes since.
        public let parent: String?
        /// What a restore writes (`BackupDescriptor.fullBytes`).
        public let representedBytes: Int
        /// Why an incremental cannot be restored (a parent deleted by hand...); nil when its chain is whole.
        public let chainProblem: String?
    }

    /// The span one can restore to: from the stop of the oldest backup anchoring the window (kept as
    /// daily, or the newest) to the newest commit in the last archived segments (decoded), or, when
    /// none is found there, the newest segment's write time, an upper bound.
    public struct Window: Equatable, Sendable {
        public let start: UTCTime
        public let end: UTCTime
        /// True when `end` is a decoded commit time, false when it is a file time.
        public let endIsCommit: Bool
    }

    /// Segments decoded from the end of the archive to find the newest commit: an idle cluster's
    /// last segments may hold none, and each one read is a download.
    static let segmentsSearchedForNewestCommit = 3

    public let time: UTCTime
    /// Oldest first.
    public let backups: [Backup]
    /// Every cluster the repository holds, by major, the newest last.
    public let clusters: [ClusterSummary]
    /// The cluster the WAL facts and the window are about: the connected server's, else the newest.
    public let current: ClusterSummary?
    public let newestSegment: WALSegmentName?
    /// The segment size of the archive the WAL facts come from.
    public let segmentSize: WALSegmentSize?
    public let newestSegmentTime: UTCTime?
    public let window: Window?
    public let gaps: [WALGap]
    /// ("backups", bytes), ("wal", bytes).
    public let bytesByKind: [(kind: String, bytes: Int)]
    public let bytesByStorageClass: [(storageClass: String, bytes: Int)]
    /// Segments archived in the 24 hours before `time`.
    public let segmentsLastDay: Int
    public let lastVerify: VerifyRecord?
    /// The outcome of the last `verify --window` on the current cluster's archive; nil when it never ran.
    public let lastWindow: WindowProof.Outcome?
    /// The last restore drills (`verify --restore-test`), oldest first: the measured RTO over time.
    public let drills: [DrillRecord]
    /// Backups whose descriptor cannot be used, each with why (`RepositoryInventory.unreadableBackups`).
    public let unreadableBackups: [(backup: String, reason: String)]
    /// The finished dump runs, oldest first (`DumpCatalog`); why they cannot be listed, if so.
    public let dumps: [DumpRun]
    public let dumpProblem: String?
    /// The monthly cost estimate of an S3 repository; nil elsewhere.
    public let bill: MonthlyBill?

    public var newestBackup: Backup? { backups.last }
    public var backupAge: Int64? { newestBackup.map { time.secondsSinceEpoch - $0.stopTime.secondsSinceEpoch } }
    public var newestDump: DumpRun? { dumps.last }
    public var dumpAge: Int64? { newestDump.map { time.secondsSinceEpoch - $0.stopTime.secondsSinceEpoch } }
    public var walAge: Int64? { newestSegmentTime.map { time.secondsSinceEpoch - $0.secondsSinceEpoch } }
    public var segmentsPerHour: Double { Double(segmentsLastDay) / 24 }
    public var totalBytes: Int { bytesByKind.reduce(0) { $0 + $1.bytes } }

    /// The status of `inventory`; `archive` limits WAL facts to one cluster (the connected
    /// server's, when the repository holds it), else to the newest (`ClusterSummary.all`: after a
    /// pg_upgrade, the new one).
    public init(inventory: RepositoryInventory, policy: RetentionPolicy, now: UTCTime,
                archive identity: ClusterIdentity? = nil, prices: PriceTable = .list, kmsKeys: Int = 0, dumpPolicy: RetentionPolicy? = nil) throws {
        let classification = inventory.classification(policy: policy, now: now)
        let chains = BackupChains(inventory.backups)
        let backups = classification.decisions.map {
            Backup(name: $0.backup.name, stopTime: $0.backup.stopTime, timeline: $0.backup.timeline,
                   storedBytes: $0.backup.storedBytes, classes: $0.classes, cluster: $0.backup.identity,
                   type: $0.backup.type, parent: $0.backup.parent, representedBytes: $0.backup.fullBytes,
                   chainProblem: chains.problem(of: $0.backup).map { "\($0)" })
        }
        let clusters = ClusterSummary.all(in: inventory)
        let current = clusters.last { $0.identity == identity } ?? clusters.last
        let archive = inventory.archives.first { $0.identity == current?.identity }
        let newest = archive.flatMap { inventory.newestSegment(of: $0) }

        var gaps: [WALGap] = []
        for archive in inventory.archives {
            let requirements = inventory.requirements(of: archive, for: classification.decisions)
            gaps += WALGap.gaps(missing: requirements.missingSegments(in: archive.index), archive: archive.identity,
                                segmentSize: archive.index.segmentSize, backups: inventory.backups)
        }
        let anchors = classification.decisions.filter { $0.anchorsWindow && $0.backup.identity == archive?.identity }
        var window: Window?
        if let start = anchors.map(\.backup.stopTime).min() {
            if let archive, let newest, let commit = Self.newestCommit(archive, on: newest.name.timeline) {
                window = Window(start: start, end: max(start, commit), endIsCommit: true)
            } else {
                window = Window(start: start, end: max(start, newest?.object.lastModified ?? start), endIsCommit: false)
            }
        }

        let walObjects = inventory.archives.flatMap { $0.index.files.values }
        var byClass: [String: Int] = [:]
        for object in inventory.backupObjects + walObjects {
            byClass[object.storageClass ?? "local", default: 0] += object.size
        }
        let dayAgo = now.secondsSinceEpoch - 86_400
        let recentWAL = walObjects.filter { object in
            guard let modified = object.lastModified?.secondsSinceEpoch, modified > dayAgo, modified <= now.secondsSinceEpoch,
                  let name = object.key.split(separator: "/").last, case .segment = try? WALFileName(parsing: name) else { return false }
            return true
        }
        let recent = recentWAL.count
        time = now
        self.backups = backups
        self.clusters = clusters
        self.current = current
        newestSegment = newest?.name
        segmentSize = archive?.index.segmentSize
        newestSegmentTime = newest?.object.lastModified
        self.window = window
        self.gaps = gaps
        do {
            dumps = try DumpCatalog(repository: inventory.repository).list()
            dumpProblem = nil
        } catch {
            // The dashboard still shows the rest; verify and check name the dump.
            dumps = []
            dumpProblem = "\(error)"
        }
        bytesByKind = [("backups", inventory.backupObjects.reduce(0) { $0 + $1.size }), ("wal", walObjects.reduce(0) { $0 + $1.size }),
                       ("dumps", dumps.reduce(0) { $0 + $1.storedBytes })]
        bytesByStorageClass = byClass.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        segmentsLastDay = recent
        lastVerify = try VerifyRecord.load(from: inventory.repository)
        lastWindow = try current.flatMap { try WindowProof.load(archive: $0.identity, from: inventory.repository)?.outcome }
        drills = try DrillRecord.recent(in: inventory.repository, limit: 5)
        unreadableBackups = inventory.unreadableBackups.map { ($0.backup, "\($0.error)") }
        // The dumps' objects follow their own retention's classes (TAILTOWN_RETAIN_DUMPS, else the backups').
        let dumpObjects = inventory.repository.storage.storageClasses == nil ? [] : try inventory.repository.storage.listObjects(prefix: DumpDescriptor.folder + "/")
        let dumpRetention = DumpRetention(runs: dumps, policy: dumpPolicy ?? policy, now: now)
        bill = inventory.repository.storage.storageClasses.map { classes in
            let needs = RepositoryNeeds(classification: classification, archives: inventory.archives)
            let folders = inventory.objectsByBackup
            let newest = inventory.backups.last
            let chain = newest.map { [$0] + chains.ancestors(of: $0) } ?? []
            var activity = MonthlyBill.Activity(segmentsPerHour: Double(recent) / 24, backupObjects: (newest.flatMap { folders[$0.name] } ?? []).map(\.size),
                                                drillBackupObjects: chain.flatMap { folders[$0.name] ?? [] }.map(\.size),
                                                drillWALObjects: recentWAL.map(\.size))
            activity.kmsKeys = kmsKeys
            return MonthlyBill(placements: StoragePlacement(needs: needs, inventory: inventory, classes: classes, now: now).placements, policy: policy,
                               dumps: StoragePlacement(dumps: dumpRetention, objects: dumpObjects, classes: classes, now: now).placements,
                               dumpPolicy: dumpRetention.policy, classes: classes, prices: prices, activity: activity)
        }
    }

    /// The newest commit or abort time in the last segments of `timeline`; nil when they hold none
    /// or cannot be decoded (the status then falls back to file times rather than failing).
    static func newestCommit(_ archive: RepositoryInventory.Archive, on timeline: TimelineID) -> UTCTime? {
        let locator = ArchiveEventLocator(index: archive.index)
        let segments = Array(archive.index.segments(on: timeline).suffix(segmentsSearchedForNewestCommit))
        return (try? locator.newestEvent(in: segments))?.time.utcTime
    }
}
