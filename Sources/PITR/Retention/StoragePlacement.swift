import PITRStorage
import PITRSupport

/// Where each object the kept backups need belongs among the S3 storage classes (docs/s3.md, "Storage classes"), and
/// what `delete` tags to move it there. Mirrors `LockExtensions`: what a kept backup needs (its objects, its chain's
/// parents, its WAL from start to stop, its `.backup` file) takes the backup's longest retention class whose period has
/// ended (yearly and permanent, monthly, weekly, else daily; a parent the longest of the backups that need it), and WAL the longest of
/// the backups that need it. What the PITR window needs (a window anchor, the chain it stands on, and its WAL) never
/// enters an archive class: it takes the longest of its tiers whose class is not one.
///
/// An object is tagged only when its tier's class is colder than the one it is in (S3 moves objects only down), when it
/// is larger than S3 transitions (128 KiB), and when it stays needed at least the class's minimum duration after the
/// earliest day the transition can happen: moving it for less would bill more than it saves.
public struct StoragePlacement: Sendable {
    public struct Placement: Sendable {
        public let object: StoredObject
        public let tier: S3StorageClasses.Tier
        /// The class it will be in once the tags are acted on.
        public let storageClass: String
        /// Whether `delete` tags it now.
        public let moves: Bool
    }

    /// Every needed object, in key order.
    public let placements: [Placement]
    public var moves: [Placement] { placements.filter(\.moves) }

    public init(needs: RepositoryNeeds, inventory: RepositoryInventory, classes: S3StorageClasses, now: UTCTime) {
        var tiers: [String: S3StorageClasses.Tier] = [:]
        var window: [String: Bool] = [:]
        let byName = Dictionary(needs.kept.map { ($0.backup.name, $0) }, uniquingKeysWith: { a, _ in a })
        func resolve(_ kept: RepositoryNeeds.KeptBackup) -> (S3StorageClasses.Tier, Bool) {
            if let tier = tiers[kept.backup.name], let anchors = window[kept.backup.name] { return (tier, anchors) }
            // A loop of parents (a damaged catalog) ends here.
            (tiers[kept.backup.name], window[kept.backup.name]) = (.daily, kept.decision.anchorsWindow)
            var tier = kept.decision.classes.compactMap { Self.tier($0, of: kept.backup.stopTime, now: now) }.max() ?? .daily
            var anchors = kept.decision.anchorsWindow
            for dependent in kept.decision.dependents.compactMap({ byName[$0] }) {
                let (dependentTier, dependentAnchors) = resolve(dependent)
                tier = max(tier, dependentTier)
                anchors = anchors || dependentAnchors
            }
            (tiers[kept.backup.name], window[kept.backup.name]) = (tier, anchors)
            return (tier, anchors)
        }
        var placements: [Placement] = []
        func place(_ object: StoredObject, tier wanted: S3StorageClasses.Tier, window: Bool, until: RetentionExpiry) {
            placements.append(Self.placement(of: object, tier: wanted, window: window, until: until, classes: classes, now: now))
        }
        let folders = inventory.objectsByBackup
        for kept in needs.kept {
            let (tier, anchors) = resolve(kept)
            for object in folders[kept.backup.name] ?? [] { place(object, tier: tier, window: anchors, until: kept.until) }
        }
        for archive in inventory.archives {
            let own = needs.kept.filter { $0.backup.identity == archive.identity }
            for (file, object) in archive.index.files {
                let needing = own.filter { $0.wal?.needs(file) == true }
                guard let until = needing.map(\.until).max() else { continue }
                place(object, tier: needing.map { resolve($0).0 }.max() ?? .daily, window: needing.contains { $0.decision.anchorsWindow }, until: until)
            }
        }
        self.placements = placements.sorted { $0.object.key < $1.object.key }
    }

    /// The dumps' objects (listed under `dumps/`) of the runs `retention` keeps: each run's take the longest of its classes
    /// whose period has ended, as a backup's do; no dump is part of the PITR window.
    public init(dumps retention: DumpRetention, objects: [StoredObject], classes: S3StorageClasses, now: UTCTime) {
        let byRun = Dictionary(grouping: objects) { object in object.key.split(separator: "/").dropFirst().first.map(String.init) ?? "" }
        placements = retention.decisions.flatMap { decision -> [Placement] in
            guard let until = retention.until(decision.run.name) else { return [] }
            let tier = decision.classes.compactMap { Self.tier($0, of: decision.run.stopTime, now: now) }.max() ?? .daily
            return (byRun[decision.run.name] ?? []).map { Self.placement(of: $0, tier: tier, window: false, until: until, classes: classes, now: now) }
        }.sorted { $0.object.key < $1.object.key }
    }

    /// Where `object`, needed at `wanted`'s tier until `until` (by the PITR window or not), belongs, and whether it moves now.
    static func placement(of object: StoredObject, tier wanted: S3StorageClasses.Tier, window: Bool, until: RetentionExpiry,
                          classes: S3StorageClasses, now: UTCTime) -> Placement {
        var tier = wanted
        while window, tier > .daily, S3StorageClasses.archive.contains(S3StorageClasses.effective(classes.name(of: tier))) {
            tier = S3StorageClasses.Tier.allCases[(S3StorageClasses.Tier.allCases.firstIndex(of: tier) ?? 1) - 1]
        }
        let target = classes.name(of: tier)
        var moves = object.size > S3StorageClasses.smallestTransitioned && S3StorageClasses.isColder(target, than: object.storageClass)
        if moves, case .at(let end) = until {
            let name = S3StorageClasses.effective(target)
            let earliest = max(now.secondsSinceEpoch, (object.lastModified ?? now).secondsSinceEpoch + Int64(S3StorageClasses.minimumAge(name)) * 86_400)
            moves = end.secondsSinceEpoch - earliest >= Int64(S3StorageClasses.minimumDays(name)) * 86_400
        }
        return Placement(object: object, tier: tier, storageClass: moves ? S3StorageClasses.effective(target)
                             : S3StorageClasses.effective(object.storageClass), moves: moves)
    }

    /// The tier a retention class moves a backup that stopped at `stop` to; nil for `parent`, which takes its
    /// dependents'. A periodic class counts only once the backup's period has ended: until then a later backup may take
    /// its place (the newest backup is the newest of its week, month and year, and likely not for long).
    static func tier(_ kind: RetentionClass, of stop: UTCTime, now: UTCTime) -> S3StorageClasses.Tier? {
        switch kind {
        case .daily, .newest: return .daily
        case .permanent: return .yearly
        case .parent: return nil
        case .weekly, .monthly, .yearly:
            guard let period = kind.period(of: stop), let current = kind.period(of: now), period < current else { return .daily }
            return kind == .weekly ? .weekly : kind == .monthly ? .monthly : .yearly
        }
    }

    /// Keeps the store's transition rules in step, then tags what moves; returns how many objects were tagged and
    /// whether the rules were rewritten.
    func execute(on storage: Storage) throws -> (tagged: Int, rulesRewritten: Bool) {
        let rewritten = try storage.keepTransitionRules()
        return (try tag(on: storage), rewritten)
    }

    /// Tags what moves (the rules kept by the backups' placement); returns how many objects were tagged.
    func tag(on storage: Storage) throws -> Int {
        let moving = moves
        for placement in moving { try storage.tag(placement.object.key, tier: placement.tier) }
        return moving.count
    }

    /// "move    3 objects (1.2 GB) by tag to GLACIER_IR (monthly), ...": what `delete` tags.
    var text: String {
        let groups = Dictionary(grouping: moves) { "\($0.storageClass) (\($0.tier.rawValue))" }
        guard !groups.isEmpty else { return "" }
        return "move    " + groups.sorted { $0.key < $1.key }.map { name, placements in
            "\(placements.count) objects (\(String(byteCount: placements.reduce(0) { $0 + $1.object.size }))) to \(name)"
        }.joined(separator: ", ") + ", by tag; the bucket's lifecycle rules move them within a day or two\n"
    }
}
