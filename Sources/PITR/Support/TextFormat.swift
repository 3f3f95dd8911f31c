/// How every report writes numbers and quotes text (no Foundation in Sources/PITR): one
/// place, so `backup-list`, `status`, `check`, `verify` and `restore` read alike.
extension String {
    /// The text with each character found in `replacements` replaced.
    package func escaping(_ replacements: [Character: String]) -> String {
        var result = ""
        for character in self {
            if let replacement = replacements[character] { result += replacement } else { result.append(character) }
        }
        return result
    }

    /// One decimal, without Foundation's String(format:).
    package init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// Two decimals (a price in dollars and cents), as `format1`.
    package init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        self = "\(hundredths / 100)." + (abs(hundredths % 100) < 10 ? "0" : "") + "\(abs(hundredths % 100))"
    }

    /// 1536 -> "1.5 KiB": a size for people, in binary units with one decimal.
    public init(byteCount count: Int) {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        self = unit == 0 ? "\(count) B" : "\(String(format1: value)) \(units[unit])"
    }

    /// "3d4h", "5h12m", "42m", "17s": an age or an age limit, for people.
    package init(age seconds: Int64) {
        let s = Swift.max(0, seconds)
        if s >= 86400 {
            self = "\(s / 86400)d\((s % 86400) / 3600)h"
        } else if s >= 3600 {
            self = "\(s / 3600)h\((s % 3600) / 60)m"
        } else if s >= 60 {
            self = "\(s / 60)m"
        } else {
            self = "\(s)s"
        }
    }

    /// Text a server sent (an S3 error code or message, a transport error), fit for one line of
    /// a log: each control character (C0, DEL, C1), line or paragraph separator and format
    /// character (bidirectional overrides, invisible ones) is written `\u{XX}`, and the text is
    /// cut after `limit` characters, saying so. Such text reaches PostgreSQL's log, where a
    /// newline would forge a line and an escape sequence would drive the terminal of whoever reads it.
    package func sanitizedServerText(limit: Int) -> String {
        var out = ""
        var count = 0
        for scalar in unicodeScalars {
            let piece: String
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                piece = "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default:
                piece = String(scalar)
            }
            if count + piece.unicodeScalars.count > limit {
                return out + "... (cut at \(limit) characters)"
            }
            out += piece
            count += piece.unicodeScalars.count
        }
        return out
    }

    /// The text as a JSON string literal (quotes, backslashes and control characters escaped).
    package var jsonLiteral: String {
        var out = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
