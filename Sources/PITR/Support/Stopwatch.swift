/// Elapsed time on the `MonotonicClock`: phase times in reports, progress redraws, retry budgets.
public struct Stopwatch: Sendable {
    private let start: Double

    public init() { start = MonotonicClock.now() }

    public var seconds: Double { MonotonicClock.now() - start }

    /// "1.2 s".
    public static func text(_ seconds: Double) -> String { String(format1: seconds) + " s" }
}
