/// Exit statuses that PostgreSQL interprets (docs/exit-codes.md).
enum ExitStatus {
    /// restore_command: the file is not in the archive; PostgreSQL ends archive recovery there.
    static let notFound: Int32 = 1
    /// restore_command: anything else went wrong. Above 125 (and not 143, read as SIGTERM),
    /// so PostgreSQL aborts recovery instead of taking the failure for the end of the archive.
    static let abortRecovery: Int32 = 200
    /// restore: the archived objects it reads are still being thawed; run it again with --resume (EX_TEMPFAIL).
    static let thawPending: Int32 = 75
}
