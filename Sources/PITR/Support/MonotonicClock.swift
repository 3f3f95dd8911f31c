/// Seconds on the monotonic clock, for waits and idle timeouts that wall-clock jumps must not shorten: the one
/// clock of the package (`Stopwatch` measures on it).
package enum MonotonicClock {
    package static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
