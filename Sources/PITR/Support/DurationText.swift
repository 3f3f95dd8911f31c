/// A duration as people write it in settings and options: "7d", "36h", "90m", "45s" or plain seconds.
package enum DurationText {
    static let units: [(suffix: Character, seconds: Int64)] = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]

    /// Seconds, or nil when `text` is not a whole number from 0 with an optional d, h, m or s.
    package static func seconds(_ text: String) -> Int64? {
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = text.last, let factor = units.first(where: { $0.suffix == last })?.seconds {
            unit = factor
            digits = digits.dropLast()
        }
        guard let value = Int64(digits), value >= 0, value <= Int64.max / unit else { return nil }
        return value * unit
    }

    /// The largest unit that writes `seconds` exactly: 604800 is "7d", 129600 "36h", 5400 "90m", 45 "45s", 0 "0".
    package static func text(_ seconds: Int64) -> String {
        guard seconds != 0 else { return "0" }
        let unit = units.first { seconds % $0.seconds == 0 } ?? units[units.count - 1]
        return "\(seconds / unit.seconds)\(unit.suffix)"
    }
}
