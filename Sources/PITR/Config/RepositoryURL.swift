/// Where the repository lives, parsed from TAILTOWN_REPO.
/// `file:///absolute/path` (no host; the path is taken literally, without percent-decoding)
/// or `s3://bucket[/prefix]`. Repeated and trailing slashes are removed, so equal
/// repositories compare equal whichever way they were written.
public enum RepositoryURL: Equatable, Sendable, CustomStringConvertible {
    /// An absolute path without a trailing slash (except the root itself).
    case file(path: String)
    /// `prefix` has no leading or trailing slash and is empty for the bucket's root.
    case s3(bucket: String, prefix: String)

    /// Parses `text`; the error is the problem phrase, for `ConfigError.invalidValue`.
    public static func parse(_ text: String) -> Result<RepositoryURL, RepositoryURLProblem> {
        guard let separator = text.firstRange(of: "://") else {
            return .failure(text.hasPrefix("/") ? .barePath : .notAURL)
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = String(text[separator.upperBound...])
        switch scheme {
        case "file":
            guard rest.hasPrefix("/") else {
                return .failure(rest.isEmpty || rest.first == "." || rest.first == "~" ? .relativePath : .fileHost)
            }
            let components = rest.split(separator: "/")
            return .success(.file(path: "/" + components.joined(separator: "/")))
        case "s3":
            let components = rest.split(separator: "/", omittingEmptySubsequences: false)
            let bucket = String(components.first ?? "")
            guard isValidBucket(bucket) else { return .failure(.badBucket) }
            let prefix = components.dropFirst().filter { !$0.isEmpty }.joined(separator: "/")
            return .success(.s3(bucket: bucket, prefix: prefix))
        default:
            return .failure(.unknownScheme)
        }
    }

    public var description: String {
        switch self {
        case .file(let path): "file://\(path)"
        case .s3(let bucket, ""): "s3://\(bucket)"
        case .s3(let bucket, let prefix): "s3://\(bucket)/\(prefix)"
        }
    }

    /// S3 bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens,
    /// starting and ending with a letter or digit.
    private static func isValidBucket(_ bucket: String) -> Bool {
        let scalars = Array(bucket.unicodeScalars)
        guard (3...63).contains(scalars.count) else { return false }
        let isAlphanumeric: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        guard let first = scalars.first, let last = scalars.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return scalars.allSatisfy { isAlphanumeric($0) || $0 == "." || $0 == "-" }
    }
}

/// Why a TAILTOWN_REPO value is not a repository URL; `description` is a predicate phrase.
public enum RepositoryURLProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case notAURL, barePath, unknownScheme, relativePath, fileHost, badBucket

    public var description: String {
        switch self {
        case .notAURL:
            "is not a repository URL: use file:///absolute/path or s3://bucket[/prefix]"
        case .barePath:
            "is a path, not a URL: write it as file:// followed by the path"
        case .unknownScheme:
            "has an unknown scheme: use file:///absolute/path or s3://bucket[/prefix]"
        case .relativePath:
            "is not an absolute path: use file:///absolute/path (three slashes)"
        case .fileHost:
            "names a host, which file:// URLs cannot: use file:///absolute/path (three slashes)"
        case .badBucket:
            "does not name a valid S3 bucket (3 to 63 lowercase letters, digits, dots or hyphens): use s3://bucket[/prefix]"
        }
    }
}
