import PITRWAL

extension HeldLocks {
    /// Commits listed by name in the plan; the others are counted.
    static let listedCommits = 10

    /// The plan's lines on the held locks: the tables a paused copy cannot read, and the two ways out.
    func report() -> [String] {
        let transactions = Set(locks.map(\.xid)).sorted().map(String.init).joined(separator: ", ")
        var lines = ["held locks: at the stop, recovery still holds \(locks.count) ACCESS EXCLUSIVE lock\(locks.count == 1 ? "" : "s") of transaction\(transactions.contains(",") ? "s" : "") \(transactions), neither committed nor aborted there; paused, the copy cannot read these tables (a query waits forever):"]
        lines += locks.map { lock in
            let oids = "relation OID \(lock.relation) in database OID \(lock.database)"
            return "  \(names[lock].map { "\($0) (\(oids))" } ?? oids), locked by xid \(lock.xid) at \(lock.lsn)"
        }
        if let namesMissing, names.count < locks.count {
            lines.append("  (shown by OID: \(namesMissing); on the primary, SELECT <OID>::regclass in that database names a table that still exists)")
        }
        lines.append("way out 1, promote: --action promote, or 'pg_ctl promote' on the paused copy: recovery ends there and rolls these transactions back, so the tables are readable as they were before them; the copy starts a new timeline and can recover no further")
        let lost = commitsAfterFirstLock
        var readable = "way out 2, the moment before the first lock: --lsn \(readableLSN) --exclusive; the copy pauses readable"
        if lost.isEmpty {
            readable += ", and no commit lies between it and the target"
        } else {
            readable += ", without the \(lost.count) commit\(lost.count == 1 ? "" : "s") between it and the target:"
        }
        lines.append(readable)
        lines += lost.prefix(Self.listedCommits).map { "  xid \($0.xid) committed at \($0.time) (\($0.lsn))" }
        if lost.count > Self.listedCommits { lines.append("  and \(lost.count - Self.listedCommits) more") }
        return lines
    }
}
