import PITRConfig
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// The copier to the second repository (`wal-copy`, started by wal-push): copies each WAL file of the `CopyQueue`
/// from the first repository to the second as it is stored, oldest first, and takes its name off the queue once the
/// second holds it. At most one runs per data directory (`DetachedHelper.copier`).
///
/// An unreachable second repository is PostgreSQL's concern only through the queue's names: the copier tries again,
/// waiting twice as long each time up to `longestWait`, and catches up on its own when the second answers. A second
/// repository that must not be used (`SecondRepositoryError`) stops it with the reason written to `refusedPath`,
/// which the next wal-push checks again and reports. It stops when the queue has been empty for `idleTimeout` s.
public struct BackgroundCopier {
    let dataDirectory: String
    /// Opens both repositories, new connections each time (after a failure, the old ones may be broken); nil when
    /// TAILTOWN_REPO2 is no longer set.
    let open: () throws -> SecondRepository?
    let log: Log
    var idleTimeout = 5.0
    var pollInterval = 0.2
    var longestWait = 30.0

    public init(dataDirectory: String, log: Log, open: @escaping () throws -> SecondRepository?) {
        self.dataDirectory = dataDirectory
        self.log = log
        self.open = open
    }

    /// The file that says why the last copier stopped on a second repository that must not be used.
    static func refusedPath(_ folder: OurWALFolder) -> String { DetachedHelper.copier(folder).folder + "/refused" }

    /// Runs until the queue stays empty or the second repository is refused; returns why it stopped, nil when another
    /// copier holds the lock.
    @discardableResult
    public func run() throws -> String? {
        let folder = OurWALFolder(dataDirectory: dataDirectory)
        let helper = DetachedHelper.copier(folder)
        try FileSystem.makeDirectories(helper.folder)
        guard let lock = try HelperLock.take(helper.lockPath, attempts: 5) else { return nil }
        defer { withExtendedLifetime(lock) {} }
        let queue = CopyQueue(folder)
        let identity = try ClusterIdentity.read(dataDirectory: dataDirectory)
        var repositories: SecondRepository?
        var failure: String?
        var wait = 1.0
        var idleSince = MonotonicClock.now()
        while true {
            do {
                let names = try queue.names()
                if names.isEmpty {
                    if MonotonicClock.now() - idleSince > idleTimeout { return "nothing left to copy" }
                    usleep(useconds_t(pollInterval * 1_000_000))
                    continue
                }
                if repositories == nil {
                    guard let opened = try open() else { return "TAILTOWN_REPO2 is not set" }
                    try opened.setUp(archives: [identity])
                    try FileSystem.remove(BackgroundCopier.refusedPath(folder))
                    repositories = opened
                }
                guard let pair = repositories else { continue }
                let archive = WALArchive(repository: pair.first, identity: identity)
                for name in names {
                    try copy(name, archive: archive, pair: pair)
                    try queue.remove(name)
                }
                if let failure {
                    log.info("the second repository \(pair.second.name) answers again after: \(failure)")
                }
                failure = nil
                wait = 1
                idleSince = MonotonicClock.now()
            } catch let error as SecondRepositoryError {
                try AtomicFile.write(Array(error.description.utf8), to: BackgroundCopier.refusedPath(folder), mode: 0o600, durable: false)
                log.error(error.description)
                return error.description
            } catch {
                if failure == nil { log.warning("copying to the second repository failed, trying again: \(error)") }
                failure = "\(error)"
                repositories = nil
                usleep(useconds_t(wait * 1_000_000))
                wait = min(wait * 2, longestWait)
            }
        }
    }

    private func copy(_ name: WALFileName, archive: WALArchive, pair: SecondRepository) throws {
        do {
            let bytes = try pair.copy(archive.key(for: name))
            log.debug("copied \(name.fileName) (\(bytes) bytes) to \(pair.second.name)")
        } catch StorageError.notFound {
            log.warning("\(name.fileName) is no longer in \(pair.first.name): there is nothing to copy")
        }
    }
}
