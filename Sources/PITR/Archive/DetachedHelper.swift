/// One of the helpers that work beside PostgreSQL's calls in processes of their own,
/// detached from the call that starts them: wal-fetch's prefetcher, wal-push's background
/// pusher and the copier to the second repository. Each is a hidden subcommand of our own binary; at most one of each runs per data
/// directory, the one that holds the flock on its `lock` file (`HelperLock`); its standard
/// error goes to its log file beside the lock.
public struct DetachedHelper: Equatable {
    /// The hidden subcommand that runs it, given the data directory.
    let subcommand: String
    /// Its folder under `pg_wal/tailtown-pitr`.
    let folder: String
    /// For messages: "prefetcher", "background pusher".
    let role: String
    /// The setting that turns it off, for messages.
    let offSetting: String
    let logName: String

    var lockPath: String { folder + "/lock" }
    var logPath: String { folder + "/" + logName }

    static func prefetcher(_ folder: OurWALFolder) -> DetachedHelper {
        DetachedHelper(subcommand: "wal-prefetch", folder: folder.prefetch, role: "prefetcher",
                       offSetting: "TAILTOWN_PREFETCH", logName: "prefetcher.log")
    }

    static func pusher(_ folder: OurWALFolder) -> DetachedHelper {
        DetachedHelper(subcommand: "wal-push-ahead", folder: folder.pusher, role: "background pusher",
                       offSetting: "TAILTOWN_PUSH_AHEAD", logName: "pusher.log")
    }

    static func copier(_ folder: OurWALFolder) -> DetachedHelper {
        DetachedHelper(subcommand: "wal-copy", folder: folder.copier, role: "copier to the second repository",
                       offSetting: "TAILTOWN_REPO2", logName: "copier.log")
    }
}
