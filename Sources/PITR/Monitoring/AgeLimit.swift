/// A maximum age given on the command line: "26h", "90m", "2d", "45s" or plain seconds.
public enum AgeLimit {
    /// Seconds, or nil when `text` is not a positive number with an optional s, m, h or d.
    public static func seconds(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = text.last, let factor = units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        guard let value = Int64(digits), value > 0, value <= Int64.max / unit else { return nil }
        return value * unit
    }
}
