import PITRSupport

/// The UTC instant a request is signed at, in SigV4's two spellings.
public struct AWSTimestamp: Sendable, Equatable {
    /// "20150830T123600Z", the x-amz-date header.
    public let amzDate: String
    /// "20150830", the credential scope's date.
    public var dateStamp: String { String(amzDate.prefix(8)) }

    /// `amzDate` must look like "20150830T123600Z".
    public init(amzDate: String) {
        self.amzDate = amzDate
    }

    /// The current time.
    public static func now() -> AWSTimestamp {
        var seconds = time(nil)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let date = "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
        return AWSTimestamp(amzDate: "\(date)T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z")
    }
}
