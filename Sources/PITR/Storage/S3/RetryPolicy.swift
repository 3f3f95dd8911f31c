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

    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
