import PITRConfig

/// How many periods of each class `delete` keeps a backup for: `TAILTOWN_RETAIN`,
/// such as "daily=7 weekly=4 monthly=12 yearly=7" (docs/operations.md, "Retention").
public struct RetentionPolicy: Equatable, Sendable {
    /// The default of TAILTOWN_RETAIN, as written.
    public static let standardText = SettingDefinition.retain.defaultValue ?? ""
    public static let standard = RetentionPolicy(counts: [.daily: 7, .weekly: 4, .monthly: 12, .yearly: 7])

    /// Periods kept per periodic class; a class not named keeps none.
    public let counts: [RetentionClass: Int]

    public init(counts: [RetentionClass: Int]) { self.counts = counts }

    /// Parses `class=count` words separated by spaces or commas; each class at most once.
    public init(parsing text: String, setting: String) throws {
        var counts: [RetentionClass: Int] = [:]
        for word in text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) {
            let parts = word.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let kind = RetentionClass(rawValue: parts[0].lowercased()), RetentionClass.periodic.contains(kind) else {
                throw RetentionError.badPolicy(setting: setting, text: text, problem: "'\(word)' is not daily=N, weekly=N, monthly=N or yearly=N")
            }
            guard let count = Int(parts[1]), (0...10_000).contains(count) else {
                throw RetentionError.badPolicy(setting: setting, text: text, problem: "'\(parts[1])' in '\(word)' is not a count from 0 to 10000")
            }
            guard counts[kind] == nil else {
                throw RetentionError.badPolicy(setting: setting, text: text, problem: "\(kind.rawValue) is given twice")
            }
            counts[kind] = count
        }
        self.counts = counts
    }

    public var description: String {
        RetentionClass.periodic.map { "\($0.rawValue)=\(counts[$0] ?? 0)" }.joined(separator: " ")
    }
}
