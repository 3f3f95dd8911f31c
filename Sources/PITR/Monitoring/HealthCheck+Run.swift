import PITRNative
import PITRRepository
import PITRRetention
import PITRSupport

extension HealthCheck {
    /// `check` as the command runs it. Reads the server over `conninfo` when given (nil: do not
    /// connect); a server it cannot reach is a warning and the repository alone decides. Writes
    /// the Prometheus textfile when `prometheusFile` is given, and posts the problems to
    /// `notifyURL` when there are any (a post that fails is logged: the exit status still alarms).
    /// Returns one line per problem; throws when the repository cannot be read.
    /// `copyLag`: the second repository's (TAILTOWN_REPO2), nil without one.
    public func run(repository: Repository, policy: RetentionPolicy, dumpPolicy: RetentionPolicy, conninfo: String?, prometheusFile: String?,
                    notifyURL: String?, log: Log, copyLag: CopyLag? = nil) throws -> [String] {
        if repository.key == nil {
            log.warning("repository \(repository.name) is not encrypted: \(Repository.withoutKeyNote)")
        }
        let inventory = try RepositoryInventory.load(repository: repository)
        var server: ServerArchiveState?
        if let conninfo {
            do {
                let connection = try PostgresConnection(conninfo: conninfo)
                defer { connection.close() }
                server = try ServerArchiveState.read(from: connection)
            } catch let error as PITRError {
                log.warning("\(error.description); judging by the repository alone (--no-connect skips this)")
            }
        }
        let now = UTCTime.now()
        let status = try RepositoryStatus(inventory: inventory, policy: policy, now: now, archive: server?.identity)
        let problems = self.problems(status, server: server) + (try LockAlarms.problems(inventory: inventory, policy: policy, dumpPolicy: dumpPolicy, now: now))
            + (copyLag.map { self.problems($0, now: now) } ?? [])
        if let prometheusFile {
            try ReportFile.write(PrometheusText.render(status, problems: problems, copyLag: copyLag), to: prometheusFile)
        }
        if !problems.isEmpty, let notifyURL {
            do {
                try AlertNotifier(url: notifyURL).send(AlertNotifier.text(repository: repository.storage.describe(""), problems: problems))
            } catch let error as PITRError {
                log.error(error.description)
            }
        }
        return problems
    }
}
