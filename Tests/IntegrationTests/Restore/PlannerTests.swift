import Foundation
import Testing
import PITRBackup
import PITRRestore
import PITRWAL

extension PostgreSQLIntegration {
    /// The planner against a real PostgreSQL 15 archive: backup-push, WAL archived through wal-push,
    /// and the real `ArchiveEventLocator` placing times, xids and restore points in the WAL.
    @Suite struct PlannerTests {
        /// What the load wrote after the backup, with the facts the plans must match.
        struct Load {
            /// A moment after the first commit and before the second.
            let between: PostgresTimestamp
            /// The second transaction: the first to commit after `between`.
            let secondXid: UInt32
            /// pg_current_wal_lsn() after the second commit, and the segment that holds it.
            let lsn: LSN
            let lsnSegment: String
            /// The last segment archived.
            let lastSegment: String
        }

        @Test func plansEveryTargetKindAndRefusesWhatCannotBeRestored() throws {
            let setup = try PlannerCluster.make()
            let (cluster, planner, tailtown) = (setup.primary, setup.planner, setup.tailtown)
            defer { try? cluster.stop() }
            let load = try Self.writeAfterBackup(cluster)
            let backup = try #require(try BackupCatalog(repository: setup.repository).list().last)
            let backupStart = WALSegmentName.segment(containing: backup.startLSN, timeline: TimelineID(1), segmentSize: .standard)
            let backupEnd = WALSegmentName.segment(containing: LSN(backup.stopLSN.rawValue - 1), timeline: TimelineID(1), segmentSize: .standard)

            let immediate = try planner.plan(RestoreRequest(target: .immediate))
            #expect(immediate.backup == backup)
            #expect(immediate.segments.first == backupStart && immediate.segments.last == backupEnd)
            #expect(immediate.stop?.lsn == backup.stopLSN)

            let lsn = try planner.plan(RestoreRequest(target: .lsn(load.lsn)))
            #expect(lsn.segments.first == backupStart && lsn.segments.last?.fileName == load.lsnSegment)

            let latest = try planner.plan(RestoreRequest(target: .latest))
            #expect(latest.segments.last?.fileName == load.lastSegment)
            #expect(latest.targetTimeline == TimelineID(1))
            #expect(latest.newestRestorableTime.map { $0 > load.between } == true)
            #expect(latest.walStoredBytes > 0 && latest.backupStoredBytes == backup.storedBytes)
            #expect(latest.report.count == 7, "\(latest.report)")

            let time = try planner.plan(RestoreRequest(target: .time(load.between)))
            #expect(time.stop?.xid == load.secondXid, "\(time.report)")
            #expect(time.stop.map { $0.lsn < load.lsn } == true)
            let xid = try planner.plan(RestoreRequest(target: .xid(load.secondXid)))
            #expect(xid.stop?.lsn == time.stop?.lsn)
            let point = try planner.plan(RestoreRequest(target: .name("planner-point")))
            #expect(point.stop.map { $0.lsn >= load.lsn } == true, "\(point.report) after \(load.lsn)")

            Self.expectError(planner, .name("no-such-point")) {
                if case .unknownRestorePoint(let name, _, _) = $0 { return name == "no-such-point" } else { return false }
            }
            let before = PostgresTimestamp(unixSeconds: backup.startTime.secondsSinceEpoch - 60)
            Self.expectError(planner, .time(before)) {
                $0.description.contains("the oldest restorable point is \(backup.stopMoment?.description ?? "(no stop moment)")")
            }
            let after = PostgresTimestamp(unixSeconds: PostgresTimestamp.now().unixSeconds + 3600)
            Self.expectError(planner, .time(after)) {
                guard case .targetAfterArchivedWAL(_, let timeline, let newest) = $0 else { return false }
                return timeline == TimelineID(1) && newest.contains("xid ")
            }

            // Remove a segment after the backup: every plan that needs it names it and the range it cuts.
            let removed = backupEnd.next(.standard)
            try FileManager.default.removeItem(atPath: tailtown.repository.segmentObject(removed.fileName, systemIdentifier: try cluster.systemIdentifier()))
            Self.expectError(planner, .latest) {
                guard case .walGap(let segment, _, let from, let to) = $0 else { return false }
                return segment == removed.fileName && from == removed.startLSN(.standard) && to == removed.next(.standard).startLSN(.standard)
            }
            #expect(try planner.plan(RestoreRequest(target: .immediate)).segments.last == backupEnd)
        }

        /// A copy of the cluster recovers the archive and promotes (timeline 2) while the original goes on
        /// (timeline 1): a time after the fork exists on both lines, a time before it only once.
        @Test func aForkedArchiveIsPlannedPerTimeline() throws {
            let setup = try PlannerCluster.make()
            let (primary, planner, tailtown) = (setup.primary, setup.planner, setup.tailtown)
            defer { try? primary.stop() }
            let fork = try PostgresCluster.baseBackup(of: primary, name: "fork")
            try primary.waitForTheNextSecond()
            let beforeFork = try PlannerCluster.clock(primary)
            _ = try primary.query("insert into t values (1)")
            let shared = try primary.switchWAL()
            try primary.waitUntilArchived(shared)

            try fork.archive(through: tailtown)
            defer { try? fork.stop() }
            try fork.recover(through: tailtown, archiving: true)
            let afterFork = try PlannerCluster.clock(primary)
            _ = try fork.query("insert into t values (2)")
            _ = try primary.query("insert into t values (3)")
            // An LSN both lines wrote after the fork.
            let bothLSN = min(try LSN(parsing: try fork.query("select pg_current_wal_lsn()")),
                              try LSN(parsing: try primary.query("select pg_current_wal_lsn()")))
            let forkLast = try fork.switchWAL()
            let primaryLast = try primary.switchWAL()
            try fork.waitUntilArchived(forkLast)
            try primary.waitUntilArchived(primaryLast)

            let latest = try planner.plan(RestoreRequest(target: .latest))
            #expect(latest.targetTimeline == TimelineID(2))
            #expect(latest.histories == [TimelineID(2)])
            #expect(latest.segments.last?.fileName == forkLast)
            #expect(latest.path.map(\.timeline) == [TimelineID(1), TimelineID(2)], "\(latest.report)")
            let switchpoint = try #require(latest.path.last?.start)
            #expect(latest.segments.contains(WALSegmentName.segment(containing: switchpoint, timeline: TimelineID(2), segmentSize: .standard)))

            Self.expectError(planner, .time(afterFork)) { $0 == .ambiguousTimeline(target: afterFork.description, timelines: [TimelineID(1), TimelineID(2)]) }
            let one = try planner.plan(RestoreRequest(target: .time(afterFork), timeline: .number(TimelineID(1))))
            let two = try planner.plan(RestoreRequest(target: .time(afterFork), timeline: .number(TimelineID(2))))
            #expect(one.targetTimeline == TimelineID(1) && one.segments.allSatisfy { $0.timeline == TimelineID(1) })
            #expect(two.targetTimeline == TimelineID(2) && two.segments.last?.timeline == TimelineID(2))
            // Both copies gave the same next xid to their own commit: the commit times tell them apart.
            #expect(one.stop.map { $0.lsn >= switchpoint } == true && two.stop.map { $0.lsn >= switchpoint } == true)
            #expect(one.stop?.time != nil && one.stop?.time != two.stop?.time)

            // An LSN both lines wrote after the fork: the same question, answered the same way.
            #expect(bothLSN > switchpoint)
            Self.expectError(planner, .lsn(bothLSN)) { $0 == .ambiguousTimeline(target: "LSN \(bothLSN)", timelines: [TimelineID(1), TimelineID(2)]) }
            let lsnOne = try planner.plan(RestoreRequest(target: .lsn(bothLSN), timeline: .number(TimelineID(1))))
            #expect(lsnOne.targetTimeline == TimelineID(1) && lsnOne.segments.allSatisfy { $0.timeline == TimelineID(1) })
            #expect(try planner.plan(RestoreRequest(target: .lsn(LSN(switchpoint.rawValue - 1)))).targetTimeline == TimelineID(2))

            let early = try planner.plan(RestoreRequest(target: .time(beforeFork)))
            #expect(early.targetTimeline == TimelineID(2))
            #expect(early.stop.map { $0.lsn < switchpoint } == true, "\(early.report)")
        }

        /// A backup's stop moment has microseconds: a target in the second a backup ended in is planned from
        /// that backup when the target follows its end, and from an older backup when a commit after the target
        /// lies inside it (a rule on whole seconds would get one of the two wrong).
        @Test func aTargetInTheSecondABackupEndedUsesItsStopMoment() throws {
            let setup = try PlannerCluster.make()
            let (cluster, planner) = (setup.primary, setup.planner)
            defer { try? cluster.stop() }

            // A commit just after the target, then a second backup within the same second: the commit lies in the
            // WAL before that backup's end, so recovery from it would stop before it is consistent.
            var inside: (target: PostgresTimestamp, xid: UInt32, backup: BackupDescriptor)?
            for _ in 0..<15 where inside == nil {
                let target = try PlannerCluster.clock(cluster)
                let xid = try #require(UInt32(try cluster.query("insert into t values (1) returning xmin::text")))
                _ = try setup.backupPush()
                let backup = try #require(try BackupCatalog(repository: setup.repository).list().last)
                if Self.inStopSecond(of: backup, target) {
                    inside = (target, xid, backup)
                }
            }
            let (target, xid, second) = try #require(inside, "no backup ended within the second of its target in 15 tries")

            // A commit right after the second backup, within its stop second: that backup serves.
            var after: (target: PostgresTimestamp, xid: UInt32)?
            for _ in 0..<15 where after == nil {
                _ = try setup.backupPush()
                let backup = try #require(try BackupCatalog(repository: setup.repository).list().last)
                let target = try PlannerCluster.clock(cluster)
                usleep(20_000)
                let xid = try #require(UInt32(try cluster.query("insert into t values (2) returning xmin::text")))
                if Self.inStopSecond(of: backup, target) { after = (target, xid) }
            }
            let (afterTarget, afterXid) = try #require(after, "no commit within the stop second of a backup in 15 tries")
            let newest = try #require(try BackupCatalog(repository: setup.repository).list().last)
            let last = try cluster.switchWAL()
            try cluster.waitUntilArchived(last)

            let refuted = try planner.plan(RestoreRequest(target: .time(target)))
            #expect(refuted.stop?.xid == xid, "\(refuted.report)")
            #expect(refuted.backup.stopLSN <= refuted.stop.map(\.lsn) ?? LSN(0))
            #expect(refuted.backup != second && refuted.backup.stopLSN < second.stopLSN, "\(refuted.report)")

            let planned = try planner.plan(RestoreRequest(target: .time(afterTarget)))
            #expect(planned.backup == newest, "\(planned.report)")
            #expect(planned.stop?.xid == afterXid, "\(planned.report)")
        }

        /// Whether `time` lies in the whole second the backup's descriptor gives as its stop time.
        static func inStopSecond(of backup: BackupDescriptor, _ time: PostgresTimestamp) -> Bool {
            PostgresTimestamp(unixSeconds: backup.stopTime.secondsSinceEpoch) <= time
                && time < PostgresTimestamp(unixSeconds: backup.stopTime.secondsSinceEpoch + 1)
        }

        /// Two commits around a recorded moment, a restore point, a third commit; then the WAL is archived.
        static func writeAfterBackup(_ cluster: PostgresCluster) throws -> Load {
            _ = try cluster.query("insert into t values (1)")
            _ = try cluster.switchWAL()  // more segments, so that one after the backup can go missing
            let between = try PlannerCluster.clock(cluster)
            usleep(100_000)
            let xid = try #require(UInt32(try cluster.query("insert into t values (2) returning xmin::text")))
            let lsnText = try cluster.query("select pg_current_wal_lsn()")
            let lsnSegment = try cluster.query("select pg_walfile_name('\(lsnText)')")
            _ = try cluster.query("select pg_create_restore_point('planner-point')")
            _ = try cluster.query("insert into t values (3)")
            let last = try cluster.switchWAL()
            try cluster.waitUntilArchived(last)
            return Load(between: between, secondXid: xid, lsn: try LSN(parsing: lsnText), lsnSegment: lsnSegment, lastSegment: last)
        }

        static func expectError(_ planner: RestorePlanner, _ target: RecoveryTarget,
                                sourceLocation: SourceLocation = #_sourceLocation, _ matches: (RestorePlanError) -> Bool) {
            do {
                let plan = try planner.plan(RestoreRequest(target: target))
                Issue.record("planned \(target) instead of refusing: \(plan.report)", sourceLocation: sourceLocation)
            } catch let error as RestorePlanError {
                #expect(matches(error), "\(error)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("\(target): \(error)", sourceLocation: sourceLocation)
            }
        }
    }
}
