extension RecoveryTarget {
    /// The target as messages and the plan name it: "2026-11-26 14:03:27+00", "LSN 0/5000028",
    /// "transaction 745", "restore point 'before-upgrade'".
    public var text: String {
        switch self {
        case .latest: "latest (the end of the archived WAL)"
        case .immediate: "immediate (the end of the backup)"
        case .time(let time): time.description
        case .lsn(let lsn): "LSN \(lsn)"
        case .xid(let xid): "transaction \(xid)"
        case .name(let name): "restore point '\(name)'"
        }
    }
}
