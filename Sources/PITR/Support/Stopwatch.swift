/// Elapsed time on the monotonic clock: phase times in reports, progress redraws, retry budgets.
public struct Stopwatch: Sendable {
    private let start: Double

    public init() { start = Stopwatch.now() }

    public var seconds: Double { Stopwatch.now() - start }

    /// "1.2 s".
    public static func text(_ seconds: Double) -> String { String(format1: seconds) + " s" }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
