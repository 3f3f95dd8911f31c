import PITRBackup
import PITRDump
import PITRRepository
import PITRRestore
import PITRRetention
import PITRSupport
import PITRPipeline
import PITRStorage

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
    /// The dumps' retention (`TAILTOWN_RETAIN_DUMPS`), whose kept runs' locks are proved too; nil: `policy`.
    public var dumpPolicy: RetentionPolicy?
    /// `verify --thaw`: request the thaw of the archived objects it cannot read yet (each read by a later run).
    public var thaw: (tier: ThawTier, days: Int)?
    /// Opens the second checking thread's connection; nil checks on the calling thread alone.
    public var openRepository: RepositoryOpener?
    /// Where `run()` warns when it cannot record its outcome; nil records nothing (a verifier
    /// over an inventory given to it). Set by `init(repository:…)`, the command's verifier.
    var recordingLog: Log?

    public init(inventory: RepositoryInventory, policy: RetentionPolicy, now: UTCTime, deep: Bool) {
        self.inventory = inventory
        self.policy = policy
        self.now = now
        self.deep = deep
    }

    public func run() -> VerifyReport {
        var problems: [VerifyProblem] = []
        let classification = inventory.classification(policy: policy, now: now)
        problems += inventory.unreadableBackups.map { .unreadableDescriptor(backup: $0.backup, reason: "\($0.error)") }
        for backup in inventory.backups where !inventory.archives.contains(where: { $0.identity == backup.identity }) {
            problems.append(.noArchive(backup: backup.name, archive: backup.identity))
        }
        let chains = BackupChains(inventory.backups)
        problems += inventory.backups.compactMap { backup in chains.problem(of: backup).map { .brokenChain(backup: backup.name, problem: $0) } }
        problems += markAndVerifyRecordProblems()
        for archive in inventory.archives {
            problems += historyProblems(archive) + recordProblems(archive)
            let requirements = inventory.requirements(of: archive, for: classification.decisions)
            var gaps = WALGap.gaps(missing: requirements.missingSegments(in: archive.index), archive: archive.identity,
                                   segmentSize: archive.index.segmentSize, backups: inventory.backups)
            let locator = ArchiveEventLocator(index: archive.index)
            for i in gaps.indices { gaps[i].refine(with: locator, index: archive.index) }
            problems += gaps.map(VerifyProblem.walGap)
        }

        let listed = Dictionary(inventory.backupObjects.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var objects: [(key: String, size: Int, identity: ObjectIdentity?)] = []
        var archived: [ArchivedObject] = []
        var backupObjects = 0
        for backup in inventory.backups {
            for object in backup.objects {
                backupObjects += 1
                let key = BackupDescriptor.objectKey(backup: backup.name, object: object.name)
                let described = inventory.repository.storage.describe(key)
                guard let stored = listed[key] else {
                    problems.append(.missingObject(backup: backup.name, object: described))
                    continue
                }
                let size = stored.size
                archived += ArchivedObject.among([stored], backup: backup.name)
                guard size == object.storedBytes else {
                    problems.append(.sizeMismatch(backup: backup.name, object: described, listed: size, recorded: object.storedBytes))
                    continue
                }
                objects.append((key, size, backup.objectIdentity(of: object)))
            }
        }
        var walFiles = 0
        for archive in inventory.archives {
            for (file, object) in archive.index.files.sorted(by: { $0.value.key < $1.value.key }) {
                walFiles += 1
                archived += ArchivedObject.among([object], backup: nil)
                objects.append((object.key, object.size, archive.index.archive.objectIdentity(of: file, info: archive.index.info)))
            }
        }
        let (unreadable, thawLine) = unthawed(archived, problems: &problems)
        objects.removeAll { unreadable.contains($0.key) }
        var formatOne = 0
        let outcomes = checkObjects(objects)
        for (key, outcome) in zip(objects.map(\.key), outcomes) {
            switch outcome.verdict {
            case .problem(let reason): problems.append(.badObject(object: inventory.repository.storage.describe(key), reason: reason))
            case .sound(let format): formatOne += format == 1 ? 1 : 0
            }
        }
        problems += lockProblems()
        let dumps = DumpVerification(repository: inventory.repository, deep: deep).run()
        problems += dumps.problems
        let keys = keyUses(outcomes)
        problems += keys.filter { $0.status == nil && inventory.repository.keyring != nil }.map { .keyMissing(keyID: $0.keyID, objects: $0.objects) }
        var report = VerifyReport(time: now, deep: deep, backups: inventory.backups.count, backupObjects: backupObjects,
                                  walFiles: walFiles, problems: problems, formatOneObjects: formatOne)
        report.keys = keys
        report.archivedSkipped = unreadable.sorted().map(inventory.repository.storage.describe)
        report.thawRequested = thawLine
        report.dumps = dumps.dumps
        report.dumpObjects = dumps.objects
        // A key is known to be unneeded only when every object's header said which key it needs, and nothing the
        // repository keeps about itself (the log, each archive.info) is still sealed by it.
        if outcomes.allSatisfy(\.headerRead), let sealing = try? inventory.repository.metadataKeyIDs() {
            report.unneededKeys = keys.filter { $0.status == .retired && $0.objects == 0 && !sealing.contains($0.keyID) }.map(\.keyID)
        }
        record(report)
        return report
    }

    /// The keys of the `archived` objects that cannot be read yet (not thawed: a GET is refused), a HEAD each; with
    /// `thaw`, their thaw is requested, and the line that says so returned. A HEAD that fails is a problem.
    private func unthawed(_ archived: [ArchivedObject], problems: inout [VerifyProblem]) -> (Set<String>, String?) {
        guard !archived.isEmpty else { return ([], nil) }
        let planThaw = PlanThaw(storage: inventory.repository.storage, objects: archived)
        do {
            let progress = try planThaw.progress()
            let unreadable = Set((progress.ongoing + progress.notRequested).map(\.key))
            guard let thaw, !unreadable.isEmpty else { return (unreadable, nil) }
            return (unreadable, try planThaw.request(tier: thaw.tier, days: thaw.days, after: progress))
        } catch {
            problems.append(.badObject(object: inventory.repository.name, reason: "cannot check or thaw the objects in archive storage classes: \(error)"))
            return (Set(archived.map(\.key)), nil)
        }
    }

    /// With Object Lock: every object a kept backup needs, and the repository's own metadata, locked at least as long
    /// as it is needed, and every object of a dump run the dumps' policy keeps until the run's expiry (as `delete` extends
    /// them; a HEAD each), and no object hidden by a delete marker (one listing of the versions).
    private func lockProblems() -> [VerifyProblem] {
        let repository = inventory.repository
        guard let lock = repository.storage.objectLock else { return [] }
        do {
            let metadata = try repository.metadataObjects(archives: inventory.archives.map(\.identity))
            let locks = LockExtensions(needs: inventory.needs(policy: policy, now: now), inventory: inventory, metadata: metadata,
                                       lock: lock, now: now, everything: true)
            let dumps = DumpRetention(runs: try DumpCatalog(repository: repository).list(), policy: dumpPolicy ?? policy, now: now)
            let dumpLocks = LockExtensions(dumps: dumps, objects: try repository.storage.listObjects(prefix: DumpDescriptor.folder + "/"),
                                           lock: lock, now: now, everything: true)
            return try (locks.shortfalls(on: repository.storage, now: now) + dumpLocks.shortfalls(on: repository.storage, now: now)).map {
                .lockTooShort(object: repository.storage.describe($0.key), lockedUntil: $0.lockedUntil, needed: $0.needed)
            } + repository.storage.hiddenObjects(prefix: "").map { .hiddenByDeleteMarker(object: repository.storage.describe($0)) }
        } catch {
            return [.badObject(object: repository.name, reason: "cannot check the objects' locks (S3 Object Lock): \(error)")]
        }
    }

    /// Objects per key: every configured key (in the key file's order), then the ids objects name that no configured
    /// key has. Backup descriptors count under the key their backup records.
    private func keyUses(_ outcomes: [ObjectCheck.Outcome]) -> [VerifyReport.KeyUse] {
        var counts: [String: Int] = [:]
        for id in outcomes.compactMap(\.keyID) { counts[id, default: 0] += 1 }
        for backup in inventory.backups where backup.isObject && !backup.keyID.isEmpty { counts[backup.keyID, default: 0] += 1 }
        let configured = inventory.repository.keyring?.entries ?? []
        let known = Set(configured.map(\.idHex))
        return configured.map { VerifyReport.KeyUse(keyID: $0.idHex, status: $0.status, objects: counts[$0.idHex] ?? 0) }
            + counts.keys.filter { !known.contains($0) }.sorted().map { VerifyReport.KeyUse(keyID: $0, status: nil, objects: counts[$0] ?? 0) }
    }

    /// Checks `objects` on one thread per reader, each taking every n-th object; returns the
    /// outcomes in the order of `objects`.
    private func checkObjects(_ objects: [(key: String, size: Int, identity: ObjectIdentity?)]) -> [ObjectCheck.Outcome] {
        // A second connection (and thread) the system refuses leaves its share to the calling thread.
        let second = try? openRepository?()
        let readers = [inventory.repository] + (second.map { [$0] } ?? [])
        let results = CheckResults(count: objects.count)
        func work(_ reader: Int) {
            let check = ObjectCheck(storage: readers[reader].storage, keyring: readers[reader].keyring)
            for index in stride(from: reader, to: objects.count, by: readers.count) {
                results.store(check.check(key: objects[index].key, listedSize: objects[index].size, identity: objects[index].identity,
                                          deep: deep), at: index)
            }
        }
        var thread: WorkerThread?
        if readers.count > 1 {
            thread = try? WorkerThread("checking objects") { work(1) }
            if thread == nil { work(1) }
        }
        work(0)
        thread?.join()
        return objects.indices.map { results.value(at: $0) }
    }

    /// Each record of `archive.info` newer than the one that stands that does not authenticate (a read each).
    private func recordProblems(_ archive: RepositoryInventory.Archive) -> [VerifyProblem] {
        do {
            return try archive.index.archive.standingInfo(in: archive.index.records).rejected.map { .unauthenticatedRecord(object: $0.object, reason: $0.reason) }
        } catch {
            return [.badObject(object: inventory.repository.storage.describe(archive.index.archive.infoKey), reason: "cannot read the records of archive.info: \(error)")]
        }
    }

    /// Each permanent mark, verify record and window proof newer than the one that stands in its series that does not
    /// authenticate.
    private func markAndVerifyRecordProblems() -> [VerifyProblem] {
        do {
            return try (inventory.marks.rejected + RecordSeries.rejectedVerifyRecords(in: inventory.repository, archives: inventory.archives.map(\.identity)))
                .map { .unauthenticatedRecord(object: $0.object, reason: $0.reason) }
        } catch {
            return [.badObject(object: inventory.repository.storage.describe("verify/"), reason: "cannot read the verify records: \(error)")]
        }
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

/// The problem found in each object, or nil, by index; stored from the checking threads.
private final class CheckResults: @unchecked Sendable {
    private let lock = ConditionLock()
    private var values: [ObjectCheck.Outcome]

    init(count: Int) { values = Array(repeating: .problem("not checked"), count: count) }

    func store(_ value: ObjectCheck.Outcome, at index: Int) { lock.locked { values[index] = value } }

    func value(at index: Int) -> ObjectCheck.Outcome { lock.locked { values[index] } }
}
