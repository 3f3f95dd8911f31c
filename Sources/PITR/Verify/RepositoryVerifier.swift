/// `verify`: checks a repository without restoring (docs/operations.md, "Verify").
///
/// The WAL chain: every backup needs the segments from its start to its stop; the backups that
/// anchor the recoverable window (kept as daily, or the newest) need every segment from their
/// start to the newest one, on their timeline and the timelines branching off it, whose history
/// files must be there. A gap is dated by the descriptors around it and the newest commit decoded
/// from the segment before it. Every object of every backup and every archived WAL file is checked
/// (header, trailer, size), or with `deep` decoded end to end.
public struct RepositoryVerifier {
    public let inventory: RepositoryInventory
    public let policy: RetentionPolicy
    public let now: UTCTime
    public let deep: Bool

    public init(inventory: RepositoryInventory, policy: RetentionPolicy, now: UTCTime, deep: Bool) {
        self.inventory = inventory
        self.policy = policy
        self.now = now
        self.deep = deep
    }

    public func run() -> VerifyReport {
        var problems: [VerifyProblem] = []
        let classification = inventory.classification(policy: policy, now: now)
        for backup in inventory.backups where !inventory.archives.contains(where: { $0.identity == backup.identity }) {
            problems.append(.noArchive(backup: backup.name, archive: backup.identity))
        }
        for archive in inventory.archives {
            problems += historyProblems(archive)
            let requirements = inventory.requirements(of: archive, for: classification.decisions)
            var gaps = WALGap.gaps(missing: requirements.missingSegments(in: archive.index), archive: archive.identity,
                                   segmentSize: archive.index.segmentSize, backups: inventory.backups)
            let locator = ArchiveEventLocator(index: archive.index, majorVersion: archive.identity.majorVersion)
            for i in gaps.indices { gaps[i].refine(with: locator, index: archive.index) }
            problems += gaps.map(VerifyProblem.walGap)
        }

        let check = ObjectCheck(storage: inventory.repository.storage, key: inventory.repository.key)
        let listed = Dictionary(inventory.backupObjects.map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
        var backupObjects = 0
        for backup in inventory.backups {
            for object in backup.objects {
                backupObjects += 1
                let key = BackupDescriptor.objectKey(backup: backup.name, object: object.name)
                let described = inventory.repository.storage.describe(key)
                guard let size = listed[key] else {
                    problems.append(.missingObject(backup: backup.name, object: described))
                    continue
                }
                guard size == object.storedBytes else {
                    problems.append(.sizeMismatch(backup: backup.name, object: described, listed: size, recorded: object.storedBytes))
                    continue
                }
                if let reason = check.problem(key: key, listedSize: size, deep: deep) {
                    problems.append(.badObject(object: described, reason: reason))
                }
            }
        }
        var walFiles = 0
        for archive in inventory.archives {
            let files = archive.index.files.sorted { $0.value.key < $1.value.key }
            for (_, object) in files {
                walFiles += 1
                if let reason = check.problem(key: object.key, listedSize: object.size, deep: deep) {
                    problems.append(.badObject(object: inventory.repository.storage.describe(object.key), reason: reason))
                }
            }
        }
        return VerifyReport(time: now, deep: deep, backups: inventory.backups.count, backupObjects: backupObjects,
                            walFiles: walFiles, problems: problems)
    }

    /// Every timeline above 1 that holds segments or backups needs its history file.
    private func historyProblems(_ archive: RepositoryInventory.Archive) -> [VerifyProblem] {
        var timelines = Set(archive.index.files.keys.compactMap { $0.segment?.timeline })
        for backup in inventory.backups where backup.identity == archive.identity { timelines.insert(backup.timeline) }
        let known = Set(archive.histories.map(\.timeline))
        return timelines.filter { $0.rawValue > 1 && !known.contains($0) }.sorted().map { timeline in
            .missingHistory(archive: archive.identity, timeline: timeline,
                            object: inventory.repository.storage.describe(archive.index.archive.key(for: .history(timeline))))
        }
    }
}
