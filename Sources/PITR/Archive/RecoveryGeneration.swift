/// Which recovery a staged file belongs to: the cluster's system identifier, the repository,
/// and the postmaster that runs the recovery (its pid and start time, the first and third lines
/// of `postmaster.pid`). A restart, a crash, a restore onto the same data directory or a
/// pg_rewind all start a new postmaster, so files staged for an earlier recovery never match.
struct RecoveryGeneration: Equatable {
    let text: String

    /// The generation of the recovery running in `dataDirectory`; nil when no postmaster runs
    /// there (wal-fetch run by hand), where nothing is prefetched.
    static func current(dataDirectory: String, identity: ClusterIdentity, repository: String) -> RecoveryGeneration? {
        guard let postmaster = Postmaster.current(dataDirectory: dataDirectory) else { return nil }
        return RecoveryGeneration(text: "\(identity.archiveID) \(repository) postmaster \(postmaster.pid) started \(postmaster.startTime)")
    }

    /// True while the data directory asks for recovery: PostgreSQL removes `recovery.signal`
    /// (and `standby.signal`) when recovery ends.
    static func recoveryRequested(dataDirectory: String) -> Bool {
        FileSystem.exists(dataDirectory + "/recovery.signal") || FileSystem.exists(dataDirectory + "/standby.signal")
    }
}
