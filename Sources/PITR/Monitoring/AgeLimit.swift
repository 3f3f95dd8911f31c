import PITRSupport

/// A maximum age given on the command line: "26h", "90m", "2d", "45s" or plain seconds.
public enum AgeLimit {
    /// Seconds, or nil when `text` is not a positive number with an optional s, m, h or d.
    public static func seconds(_ text: String) -> Int64? {
        guard let seconds = DurationText.seconds(text), seconds > 0 else { return nil }
        return seconds
    }
}
