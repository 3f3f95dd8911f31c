/// A running server the tests can query: a cluster of theirs, or a restored copy.
protocol Queryable {
    func query(_ sql: String) throws -> String
}

extension PostgresCluster: Queryable {}
extension RestoredCopy: Queryable {}

extension Queryable {
    /// Row count, sum and md5 of the ordered rows of each pgbench table: equal fingerprints mean equal data.
    func pgbenchFingerprint() throws -> [String: String] {
        let tables = [
            ("pgbench_accounts", "abalance", "aid"),
            ("pgbench_branches", "bbalance", "bid"),
            ("pgbench_tellers", "tbalance", "tid"),
            ("pgbench_history", "delta", "t::text"),
        ]
        var fingerprint: [String: String] = [:]
        for (table, amount, order) in tables {
            fingerprint[table] = try query("""
                select count(*) || ' rows, sum ' || coalesce(sum(\(amount)), 0) || ', md5 '
                    || md5(coalesce(string_agg(md5(t::text), '' order by \(order)), ''))
                from \(table) t
                """)
        }
        return fingerprint
    }
}
