import Foundation
import Testing
import PITRSupport

extension PostgreSQLIntegration {
    /// A stop inside a transaction that logged an ACCESS EXCLUSIVE lock (DROP TABLE, TRUNCATE, an ALTER TABLE rewrite)
    /// leaves recovery holding it, so the paused copy cannot read the table: the plan names the table and both ways out,
    /// and the LSN it suggests gives a paused copy where the table reads with the rows it had; `--start` names the table it cannot
    /// read. On every supported major.
    @Suite struct HeldLockTests {
        /// What the side session did while the TRUNCATE's transaction held its lock.
        final class SideCommits: @unchecked Sendable {
            var xids: [String] = []
        }

        @Test(arguments: PostgreSQL.supportedMajors)
        func planNamesTheHeldLockAndBothWaysOut(major: Int) throws {
            let source = try RestoreSource.withPgbench(major: major)
            let primary = source.cluster
            let sizes = [("dropped", 500), ("truncated", 700), ("altered", 300)]
            for (table, rows) in sizes {
                _ = try primary.query("create table \(table) (id int primary key, note text); insert into \(table) select g, 'row ' || g from generate_series(1, \(rows)) g")
            }
            _ = try primary.query("create table side (id serial primary key); create table handshake (done bool)")
            let oids = try Dictionary(uniqueKeysWithValues: sizes.map { ($0.0, try primary.query("select '\($0.0)'::regclass::oid")) })
            let database = try primary.query("select oid from pg_database where datname = 'postgres'")
            try source.backup()
            let load = ["-n", "-c", "2", "-j", "2", "-t", "100"]
            try primary.pgbench(load)
            let dropXID = try primary.query("select pg_current_xact_id(); drop table dropped")
            try primary.pgbench(load)

            // The TRUNCATE's transaction waits, its lock taken, while another session commits three rows; the target time is
            // taken inside it, before its commit.
            let side = SideCommits()
            let sideSession = try WorkerThread {
                do {
                    try waitUntil("the TRUNCATE holding its lock", seconds: 60) {
                        try primary.query("select count(*) from pg_locks where relation = \(oids["truncated"] ?? "0") and mode = 'AccessExclusiveLock'") == "1"
                    }
                    for _ in 0..<3 { side.xids.append(try primary.query("insert into side default values returning xmin")) }
                    _ = try primary.query("insert into handshake values (true)")
                } catch {
                    Issue.record("\(error)")
                }
            }
            let inside = try primary.query("""
                begin; truncate truncated;
                do $$ begin while not exists (select 1 from handshake) loop perform pg_sleep(0.05); end loop; end $$;
                select pg_current_xact_id() || '|' || clock_timestamp() from pg_sleep(0.5);
                select pg_sleep(0.5); commit
                """).split(separator: "\n").first.map { $0.split(separator: "|").map(String.init) } ?? []
            sideSession.join()
            #expect(inside.count == 2, "\(inside)")
            guard inside.count == 2 else { return }
            let alterXID = try primary.query("select pg_current_xact_id(); alter table altered alter column note type varchar(100)")
            try primary.pgbench(load)
            try source.archiveAll()
            let restore = RestoreRun(source: source)

            // (a) Just before the DROP's commit: its lock is held; the plan names the table and gives both ways out.
            let (dropPlan, _) = try restore.run(["--xid", dropXID, "--exclusive", "--dry-run"], into: "plan-drop")
            print(dropPlan.stdout)
            #expect(dropPlan.status == 0, "\(dropPlan.stdout)\(dropPlan.stderr)")
            // The table, its TOAST table and index, its primary key: each locked.
            #expect(dropPlan.stdout.contains("recovery still holds 4 ACCESS EXCLUSIVE locks of transaction \(dropXID),"), "\(dropPlan.stdout)")
            // Each by the name its table had, from the backup's relation names.
            #expect(dropPlan.stdout.contains("  public.dropped in database postgres (relation OID \(oids["dropped"] ?? "?") in database OID \(database)), locked by xid \(dropXID)"), "\(dropPlan.stdout)")
            #expect(!dropPlan.stdout.contains("shown by OID"), "\(dropPlan.stdout)")
            #expect(dropPlan.stdout.contains("way out 1, promote: --action promote"), "\(dropPlan.stdout)")
            #expect(dropPlan.stdout.contains("no commit lies between it and the target"), "\(dropPlan.stdout)")
            let readable = Self.readableArguments(in: dropPlan.stdout)
            #expect(readable.count == 3, "\(dropPlan.stdout)")

            // The suggested LSN: the copy pauses with the table readable, as it was.
            do {
                let (paused, copy) = try restore.run(readable + ["--start"], into: "before-drop-lock")
                defer { copy.stop() }
                #expect(paused.status == 0, "\(paused.stdout)\(paused.stderr)")
                #expect(!paused.stdout.contains("held locks"), "\(paused.stdout)")
                #expect(try copy.query("set lock_timeout = '5s'; select count(*) from dropped") == "500")
                #expect(try copy.query("select pg_is_in_recovery()") == "t")
            }

            // (d) Started just before the DROP's commit, the paused copy holds the lock, and --start says which table cannot be read.
            do {
                let (paused, copy) = try restore.run(["--xid", dropXID, "--exclusive", "--start"], into: "held-drop-lock")
                defer { copy.stop() }
                #expect(paused.status == 0, "\(paused.stdout)\(paused.stderr)")
                print(paused.stdout.split(separator: "\n").filter { $0.contains("read check") }.joined(separator: "\n"))
                #expect(paused.stdout.contains("read check: public.dropped in postgres (relation OID \(oids["dropped"] ?? "?")) cannot be read: recovery holds the ACCESS EXCLUSIVE lock xid \(dropXID) took at"), "\(paused.stdout)")
                #expect(try copy.query("select count(*) from pg_locks where relation = \(oids["dropped"] ?? "0") and mode = 'AccessExclusiveLock' and granted") == "1")
            }

            // (c) A time inside the TRUNCATE's transaction: its lock is held; the three side commits lie between.
            let (truncatePlan, _) = try restore.run(["--to", inside[1], "--dry-run"], into: "plan-truncate")
            print(truncatePlan.stdout)
            #expect(truncatePlan.status == 0, "\(truncatePlan.stdout)\(truncatePlan.stderr)")
            #expect(truncatePlan.stdout.contains("  public.truncated in database postgres (relation OID \(oids["truncated"] ?? "?") in database OID \(database)), locked by xid \(inside[0])"), "\(truncatePlan.stdout)")
            #expect(truncatePlan.stdout.contains("commits between it and the target:"), "\(truncatePlan.stdout)")
            for xid in side.xids { #expect(truncatePlan.stdout.contains("  xid \(xid) committed at"), "\(xid): \(truncatePlan.stdout)") }
            #expect(Self.readableArguments(in: truncatePlan.stdout).count == 3, "\(truncatePlan.stdout)")

            // The ALTER's rewrite too, just before its commit; just after it nothing is held.
            let (alterPlan, _) = try restore.run(["--xid", alterXID, "--exclusive", "--dry-run"], into: "plan-alter")
            #expect(alterPlan.stdout.contains("  public.altered in database postgres (relation OID \(oids["altered"] ?? "?") in database OID \(database)), locked by xid \(alterXID)"), "\(alterPlan.stdout)")
            let (afterPlan, _) = try restore.run(["--xid", alterXID, "--dry-run"], into: "plan-after-alter")
            #expect(afterPlan.status == 0 && !afterPlan.stdout.contains("held locks"), "\(afterPlan.stdout)")
        }

        /// `--lsn L --exclusive` as the plan's second way out gives it.
        static func readableArguments(in plan: String) -> [String] {
            guard let line = plan.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("way out 2") }),
                  let range = line.range(of: "--lsn ") else { return [] }
            let lsn = line[range.upperBound...].prefix { $0 != " " }
            return ["--lsn", String(lsn), "--exclusive"]
        }
    }
}
