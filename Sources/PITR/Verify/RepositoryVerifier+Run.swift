import PITRRepository
import PITRRetention
import PITRSupport

extension RepositoryVerifier {
    /// `verify` as the command runs it: lists `repository` (`RepositoryInventory.load`), checks
    /// every object on two threads, the second with a connection from `openRepository` (decoding is
    /// CPU-bound), then records the outcome for `check` and `status`. A failure to record is a
    /// warning: the report itself is still the answer.
    public static func verify(_ repository: Repository, openRepository: @escaping RepositoryOpener, policy: RetentionPolicy,
                              deep: Bool, log: Log) throws -> VerifyReport {
        var verifier = RepositoryVerifier(inventory: try RepositoryInventory.load(repository: repository), policy: policy,
                                          now: UTCTime.now(), deep: deep)
        verifier.openRepository = openRepository
        let report = verifier.run()
        do {
            try VerifyRecord(report).save(in: repository)
        } catch let error as PITRError {
            log.warning("cannot record the outcome for check and status: \(error.description)")
        }
        return report
    }
}
