import PITRSupport
import PITRWAL

/// Which recovery a staged file belongs to: the cluster's system identifier and the repository
/// (`source`), then who stages for it. For a running recovery that is the postmaster (its pid and
/// start time, the first and third lines of `postmaster.pid`): a restart, a crash, a restore onto
/// the same data directory or a pg_rewind all start a new postmaster, so files staged for an
/// earlier recovery never match. For files `restore` staged before PostgreSQL ever ran on the
/// directory, it is that restore; the first recovery on the directory adopts them (`adopts`).
package struct RecoveryGeneration: Equatable {
    /// "<archive id> <repository>": where the staged files come from.
    let source: String
    let text: String

    init(source: String, runner: String) {
        self.source = source
        self.text = source + " " + runner
    }

    /// The generation of the recovery running in `dataDirectory`; nil when no postmaster runs
    /// there (wal-fetch run by hand), where nothing is prefetched.
    static func current(dataDirectory: String, identity: ClusterIdentity, repository: String) -> RecoveryGeneration? {
        guard let postmaster = Postmaster.current(dataDirectory: dataDirectory) else { return nil }
        return RecoveryGeneration(source: source(identity, repository), runner: "postmaster \(postmaster.pid) started \(postmaster.startTime)")
    }

    /// The generation of the files this `restore` process stages into the directory it restores.
    package static func restore(identity: ClusterIdentity, repository: String) -> RecoveryGeneration {
        RecoveryGeneration(source: source(identity, repository), runner: "restore \(getpid()) at \(time(nil))")
    }

    /// True when the staging folder recorded as `recorded` holds what a restore staged from the
    /// same cluster and repository: that content is what this recovery would fetch, so it is served
    /// (checked again at each hand-over) instead of emptied. Only a restore's files are adopted, and
    /// only once: the adopting recovery records itself, so the next postmaster empties the folder.
    func adopts(_ recorded: String) -> Bool {
        recorded.hasPrefix(source + " restore ") && !text.hasPrefix(source + " restore ")
    }

    /// True while the data directory asks for recovery: PostgreSQL removes `recovery.signal`
    /// (and `standby.signal`) when recovery ends.
    static func recoveryRequested(dataDirectory: String) -> Bool {
        FileSystem.exists(dataDirectory + "/recovery.signal") || FileSystem.exists(dataDirectory + "/standby.signal")
    }

    private static func source(_ identity: ClusterIdentity, _ repository: String) -> String {
        "\(identity.archiveID) \(repository)"
    }
}
