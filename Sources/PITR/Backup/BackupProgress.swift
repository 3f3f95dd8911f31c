import PITRSupport

/// A one-line progress bar on standard error (bytes, rate, ETA from the server's size estimate),
/// redrawn at most 4 times a second; draws nothing when standard error is not a terminal.
public final class BackupProgress {
    private let isTerminal: Bool
    private let clock = Stopwatch()
    private var lastDraw: Double = -1
    private var drawn = false

    public init(isTerminal: Bool = isatty(2) != 0) {
        self.isTerminal = isTerminal
    }

    /// Called from any one thread at a time with the bytes done and the server's estimate.
    public func update(done: Int64, estimated: Int64) {
        guard isTerminal else { return }
        let now = clock.seconds
        guard now - lastDraw >= 0.25 else { return }
        lastDraw = now
        drawn = true
        let line = "\r" + Self.line(done: done, estimated: estimated, elapsed: now) + "\u{1B}[K"
        StandardError.write(line)
    }

    /// Ends the bar's line so that what follows starts on a fresh one.
    public func finish() {
        if drawn { StandardError.write("\n") }
    }

    /// "[#########-----------]  45%  1.2 GiB / 2.7 GiB  120.5 MB/s  ETA 0:12"
    static func line(done: Int64, estimated: Int64, elapsed: Double) -> String {
        let fraction = estimated > 0 ? min(1, Double(done) / Double(estimated)) : 0
        let width = 20
        let filled = Int(fraction * Double(width))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var text = "\(bar) \(pad(String(Int(fraction * 100)), 3))%  \(String(byteCount: Int(done))) / \(String(byteCount: Int(estimated)))  \(String(format1: rate / 1e6)) MB/s"
        if rate > 0, estimated > done {
            let remaining = Int(Double(estimated - done) / rate)
            text += "  ETA \(remaining / 60):\(pad(String(remaining % 60), 2, "0"))"
        }
        return text
    }

    private static func pad(_ text: String, _ width: Int, _ fill: Character = " ") -> String {
        String(repeating: fill, count: max(0, width - text.count)) + text
    }
}
