/// The folder tailtown-pitr keeps inside a data directory's `pg_wal`: `pg_wal/tailtown-pitr/`.
/// It sits on the same file system as the WAL, so handing a file over is a rename, and it is
/// never `archive_status`, which belongs to PostgreSQL. PostgreSQL ignores subfolders of
/// `pg_wal` other than its own; `pg_basebackup` leaves the contents of `pg_wal` out.
package struct OurWALFolder {
    let dataDirectory: String

    package init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    package var root: String { dataDirectory + "/pg_wal/tailtown-pitr" }
    /// Push records and in-flight markers (`PushedFolder`).
    var pushed: String { root + "/pushed" }
    /// The background pusher's lock and log (`DetachedHelper.pusher`).
    var pusher: String { root + "/pusher" }
    /// The names waiting to be copied to the second repository (`CopyQueue`), and the copier's lock and log.
    var copyQueue: String { root + "/copy/queue" }
    var copier: String { root + "/copy" }
    /// The prefetcher's staging folder (`StagingFolder`).
    package var prefetch: String { root + "/prefetch" }
    /// PostgreSQL's own `.ready`/`.done` markers.
    var archiveStatus: String { dataDirectory + "/pg_wal/archive_status" }
    package var wal: String { dataDirectory + "/pg_wal" }
}
