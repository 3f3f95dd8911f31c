import PITRConfig
import PITRSupport
import PITRWAL

/// wal-push's part in the second repository: once a file is stored in the first, its name goes on the `CopyQueue`
/// and the copier (`BackgroundCopier`) is started unless it runs. Nothing here waits on the second repository, except
/// when it was not checked yet (the first call, or TAILTOWN_REPO2 changed: `checkedPath` names the last one checked)
/// and after the copier refused it: then `check` sets it up, and a second repository that must not be used fails the
/// call, while one that cannot be reached only says so (the copier checks it before it copies anything).
public struct CopyHandOver {
    /// TAILTOWN_REPO2's URL.
    let second: String
    let launcher: DetachedHelperLauncher?
    /// Sets up and checks the second repository for the cluster given (`SecondRepository.setUp`).
    let check: (ClusterIdentity) throws -> Void

    public init(second: String, launcher: DetachedHelperLauncher?, check: @escaping (ClusterIdentity) throws -> Void) {
        self.second = second
        self.launcher = launcher
        self.check = check
    }

    /// The file holding the URL of the second repository last checked.
    static func checkedPath(_ folder: OurWALFolder) -> String { DetachedHelper.copier(folder).folder + "/checked" }

    func handOver(_ name: WALFileName, folder: OurWALFolder, log: Log) throws {
        let queue = CopyQueue(folder)
        let refused = BackgroundCopier.refusedPath(folder)
        let checked = CopyHandOver.checkedPath(folder)
        if (try? FileSystem.readFile(checked)) != Array(second.utf8) || FileSystem.exists(refused) {
            do {
                try check(try ClusterIdentity.read(dataDirectory: folder.dataDirectory))
                try FileSystem.remove(refused)
                try FileSystem.makeDirectories(FileSystem.dirname(of: checked))
                try AtomicFile.write(Array(second.utf8), to: checked, mode: 0o600, durable: false)
            } catch let error as SecondRepositoryError {
                throw error
            } catch let error as PITRError {
                log.warning("the second repository cannot be checked now, the copier will: \(error.description)")
            }
        }
        try queue.add(name)
        do {
            try launcher?.ensureRunning(.copier(folder), dataDirectory: folder.dataDirectory)
        } catch let error as PITRError {
            log.warning("the copier to the second repository cannot start, the next wal-push tries again: \(error.description)")
        }
    }
}
