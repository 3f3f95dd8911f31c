import PITRRepository
import PITRRetention
import PITRSupport

extension RepositoryVerifier {
    /// `verify` as the command runs it: over `repository` as listed now (`RepositoryInventory.load`),
    /// checking every object on two threads, the second with a connection from `openRepository`
    /// (decoding is CPU-bound); `run()` then records the outcome for `check` and `status`. A failure
    /// to record is a warning on `log`: the report itself is still the answer.
    public init(repository: Repository, openRepository: @escaping RepositoryOpener, policy: RetentionPolicy,
                deep: Bool, log: Log) throws {
        self.init(inventory: try RepositoryInventory.load(repository: repository), policy: policy,
                  now: UTCTime.now(), deep: deep)
        self.openRepository = openRepository
        recordingLog = log
    }

    /// Records `report` in the repository when this verifier was made to (`recordingLog`).
    func record(_ report: VerifyReport) {
        guard let log = recordingLog else { return }
        do {
            try VerifyRecord(report).save(in: inventory.repository)
        } catch {
            log.warning("cannot record the outcome for check and status: \(error)")
        }
    }
}
