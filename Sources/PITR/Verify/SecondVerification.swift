import PITRRepository
import PITRSupport

/// `verify` with TAILTOWN_REPO2: the second repository verified as the first is, and the difference between the two.
public struct SecondVerification {
    /// The second repository, as messages name it.
    public let repository: String
    public let report: VerifyReport
    /// What the second lacks of the first, and what the first lacks of the second.
    public let secondLacks: CopyLag
    public let firstLacks: CopyLag

    public init(repository: String, report: VerifyReport, secondLacks: CopyLag, firstLacks: CopyLag) {
        self.repository = repository
        self.report = report
        self.secondLacks = secondLacks
        self.firstLacks = firstLacks
    }

    public var text: String {
        "second repository \(repository):\n" + report.text
            + "difference: the second lacks \(secondLacks.files) objects (\(String(byteCount: secondLacks.bytes))) of the first; "
            + "the first lacks \(firstLacks.files) objects (\(String(byteCount: firstLacks.bytes))) of the second\n"
    }

    /// `first`'s report with the second's beside it, under "second": its repository, report and the difference.
    public func json(first: VerifyReport) -> String {
        func lack(_ lag: CopyLag) -> String {
            "{\"objects\":\(lag.files),\"bytes\":\(lag.bytes),\"unreachable\":\(lag.unreachable.map(\.jsonLiteral) ?? "null")}"
        }
        return "{" + first.jsonFields + ",\"second\":{\"repository\":\(repository.jsonLiteral),\"report\":{\(report.jsonFields)},"
            + "\"difference\":{\"second_lacks\":\(lack(secondLacks)),\"first_lacks\":\(lack(firstLacks))}}}\n"
    }
}
