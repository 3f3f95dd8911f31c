import PITRSupport

/// How often and how long transient failures are retried: exponential backoff with full
/// jitter (each wait is uniform in 0...min(cap, base * 2^attempt)), bounded both by a number
/// of retries and by a total time budget measured on the monotonic clock.
public struct RetryPolicy: Sendable, Equatable {
    public var maxRetries: Int
    /// No retry starts after this many seconds since the first attempt began.
    public var budgetSeconds: Double
    public var baseDelaySeconds: Double
    public var maxDelaySeconds: Double

    public init(maxRetries: Int = 6, budgetSeconds: Double = 120, baseDelaySeconds: Double = 0.1, maxDelaySeconds: Double = 10) {
        self.maxRetries = maxRetries
        self.budgetSeconds = budgetSeconds
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// The wait before retry number `retry` (0 for the first retry).
    func delay(beforeRetry retry: Int) -> Double {
        let ceiling = min(maxDelaySeconds, baseDelaySeconds * Double(1 << min(retry, 30)))
        return Double.random(in: 0...ceiling)
    }

    /// Runs `body` (given the attempt number, from 0) until it succeeds, throws an error that
    /// `isTransient` calls permanent, or the retries or the time budget run out; then a transient
    /// failure becomes `StorageError.unreachable` naming `what`, which never reads as "not found".
    /// Each retry is logged as a warning.
    func run<T>(_ what: String, log: Log, isTransient: (Error) -> Bool, _ body: (Int) throws -> T) throws -> T {
        let clock = Stopwatch()
        var attempt = 0
        while true {
            do {
                return try body(attempt)
            } catch {
                guard isTransient(error) else { throw error }
                let elapsed = clock.seconds
                let delay = delay(beforeRetry: attempt)
                guard attempt < maxRetries, elapsed + delay < budgetSeconds else {
                    throw StorageError.unreachable(object: what, reason: "\(error) (gave up after \(attempt + 1) attempts in \(Int(elapsed.rounded())) s)")
                }
                log.warning("\(what): \(error); retry \(attempt + 1) of \(maxRetries) in \(Int(delay * 1000)) ms")
                MonotonicClock.sleep(seconds: delay)
                attempt += 1
            }
        }
    }
}
