/// One `--check-sql` of `verify --restore-test`: a query and what its first value must be.
///
/// Written `SQL => OP VALUE` (OP one of = != > >= < <=), such as
/// `SELECT count(*) FROM "Customer" => > 0`; numbers compare as numbers, anything else as text.
/// Without `=>`, the first value must be true (`t`), as from `SELECT count(*) > 0 FROM "Customer"`.
public struct DrillCheck: Equatable, Sendable {
    public enum Comparison: String, CaseIterable, Sendable {
        case equal = "=", notEqual = "!=", greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
    }

    public let sql: String
    public let comparison: Comparison
    public let expected: String

    public init(parsing text: String) throws {
        guard let arrow = text.ranges(of: "=>").last else {
            sql = text.trimmed
            comparison = .equal
            expected = "t"
            guard !sql.isEmpty else { throw DrillError.badCheck(text: text, problem: "the query is empty") }
            return
        }
        sql = String(text[..<arrow.lowerBound]).trimmed
        let rest = String(text[arrow.upperBound...]).trimmed
        // Longest operator first, so ">=" is not read as ">" followed by "=...".
        guard !sql.isEmpty,
              let comparison = Comparison.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }).first(where: { rest.hasPrefix($0.rawValue) }) else {
            throw DrillError.badCheck(text: text, problem: "expected 'SQL => OP VALUE' with OP one of = != > >= < <=")
        }
        self.comparison = comparison
        expected = String(rest.dropFirst(comparison.rawValue.count)).trimmed
    }

    /// Whether `value` (the first column of the first row, psql's text) meets the expectation.
    public func accepts(_ value: String) -> Bool {
        if let a = Double(value), let b = Double(expected) { return Self.compare(a, b, comparison) }
        return Self.compare(value, expected, comparison)
    }

    public var expectation: String { "\(comparison.rawValue) \(expected)" }

    private static func compare<T: Comparable>(_ a: T, _ b: T, _ comparison: Comparison) -> Bool {
        switch comparison {
        case .equal: a == b
        case .notEqual: a != b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        case .less: a < b
        case .lessOrEqual: a <= b
        }
    }
}

private extension String {
    var trimmed: String {
        String(drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed())
    }
}
