extension RepositoryVerifier {
    /// `verify` as the command runs it: lists `repository` (`RepositoryInventory.load`), checks
    /// every object with `repository` and `secondReader` on two threads (decoding is CPU-bound;
    /// a storage connection is not shared between threads), then records the outcome for `check`
    /// and `status`. A failure to record is a warning: the report itself is still the answer.
    public static func verify(_ repository: Repository, secondReader: Repository, policy: RetentionPolicy,
                              deep: Bool, log: Log) throws -> VerifyReport {
        var verifier = RepositoryVerifier(inventory: try RepositoryInventory.load(repository: repository), policy: policy,
                                          now: UTCTime.now(), deep: deep)
        verifier.readers = [repository, secondReader]
        let report = verifier.run()
        do {
            try VerifyRecord(report).save(in: repository)
        } catch let error as PITRError {
            log.warning("cannot record the outcome for check and status: \(error.description)")
        }
        return report
    }
}
