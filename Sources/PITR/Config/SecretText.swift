import PITRSupport

/// What messages may show of text read from config files and the environment. A line, a name or a
/// value is echoed only when it cannot be a secret: messages go to PostgreSQL's server log, to
/// cron mail and to terminals, and a key pasted in the wrong place must not follow them there.
/// Everything else is described by file, line and setting name.
enum SecretText {
    /// Longer than any setting name (the longest is 28 characters), shorter than any key.
    static let longestShownName = 40

    /// True for a name that reads as a setting name: uppercase ASCII letters, digits and `_`, not
    /// starting with a digit, at most `longestShownName` characters. Base64 keys, tokens and URLs
    /// never look like this (they mix cases or carry other characters), so such a name may be shown.
    static func isShowableName(_ name: some StringProtocol) -> Bool {
        let scalars = name.unicodeScalars
        guard let first = scalars.first, !("0"..."9").contains(first), scalars.count <= longestShownName else { return false }
        return scalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    /// True for text that may be key material: 16 or more characters of the base64 alphabet (with
    /// `=` only as trailing padding) holding both upper- and lowercase letters, as a random key, an
    /// AWS secret access key or a session token does. Paths, URLs, numbers, sizes and names do not
    /// (they hold `.`, `-`, `:` or spaces, or one case only); the few that do are hidden too, which
    /// costs a message a detail, never a secret.
    static func looksLikeKeyMaterial(_ text: some StringProtocol) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        var padding = 0
        while scalars.last == "=", padding < 2 {
            scalars.removeLast()
            padding += 1
        }
        guard scalars.count >= 16 else { return false }
        var upper = false, lower = false
        for scalar in scalars {
            switch scalar {
            case "A"..."Z": upper = true
            case "a"..."z": lower = true
            case "0"..."9", "+", "/": continue
            default: return false
            }
        }
        return upper && lower
    }

    /// True when some part of `text` may be key material: a run of 16 or more characters of the base64
    /// alphabet mixing upper- and lowercase letters (`looksLikeKeyMaterial`), wherever it stands (a key
    /// after a word and a space, or after `daily=`, is as secret as a key alone).
    static func containsKeyMaterial(_ text: some StringProtocol) -> Bool {
        let isBase64 = { (c: Character) in c.isASCII && (c.isLetter || c.isNumber || c == "+" || c == "/") }
        var rest = Substring(text)
        while let start = rest.firstIndex(where: isBase64) {
            let end = rest[start...].firstIndex { !isBase64($0) } ?? rest.endIndex
            if looksLikeKeyMaterial(rest[start..<end]) { return true }
            rest = rest[end...]
        }
        return false
    }

    /// True for a config file line that is a key on its own: key material before the first `=`
    /// and nothing but `=` after it. A base64 key ends in `=`, which the `NAME=value` form would
    /// take as the separator, and a key of letters and digits only would then pass for the name
    /// of another program's setting and be ignored.
    static func isBareKey(_ line: some StringProtocol) -> Bool {
        guard let equals = line.firstIndex(of: "=") else { return false }
        return line[equals...].allSatisfy { $0 == "=" } && looksLikeKeyMaterial(line[..<equals])
    }
}
