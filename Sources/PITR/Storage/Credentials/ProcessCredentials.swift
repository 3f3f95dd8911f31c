import PITRSupport

/// A profile's `credential_process`: a program run without a shell (its command line split as a POSIX shell would
/// split words, quotes and backslashes included, nothing expanded), whose standard output is the credentials as
/// JSON, Version 1. Its output is never logged or quoted; its standard error goes to ours, for its own diagnostics.
package struct ProcessCredentials: CredentialFetcher {
    let arguments: [String]
    /// What the program is given: this process's environment without our secrets (`Settings` decides).
    let environment: [String: String]
    /// "profile 'x'", for messages.
    let origin: String

    /// Nil when `command` is empty or its quotes are unbalanced.
    package init?(command: String, environment: [String: String], origin: String) {
        guard let arguments = ProcessCredentials.words(command), !arguments.isEmpty else { return nil }
        self.arguments = arguments
        self.environment = environment
        self.origin = origin
    }

    package var description: String { "credential_process of \(origin) (\(arguments[0]))" }
    package var cacheIdentity: String { "process\n\(origin)\n" + arguments.joined(separator: "\n") }

    package func fetch(log: Log) throws -> AWSCredentials {
        let result: SpawnedProcess.Result
        do {
            result = try SpawnedProcess.run(arguments, environment: environment, mergeStandardError: false, limit: 1 << 16)
        } catch let error as IOError {
            throw unavailable("cannot start \(arguments[0]): \(String(cString: strerror(error.code)))")
        }
        guard result.status == 0 else { throw unavailable("\(arguments[0]) exited with status \(result.status)") }
        guard let document = try? JSONValue.parse(result.output) else { throw unavailable("\(arguments[0]) did not print JSON") }
        guard document["Version"]?.integer == 1 else { throw unavailable("\(arguments[0]) printed JSON without \"Version\": 1") }
        return try credentials(fromJSON: result.output, tokenKey: "SessionToken", requireExpiration: false)
    }

    /// Words as a POSIX shell splits them: blanks separate, 'single' and "double" quotes group, a backslash escapes
    /// the next character (inside double quotes only ", \, $ and `). Nil for an unterminated quote.
    static func words(_ command: String) -> [String]? {
        var words: [String] = []
        var word: String?
        var quote: Character?
        var escaped = false
        for character in command {
            if escaped {
                if quote == "\"", !"\"\\$`".contains(character) { word = (word ?? "") + "\\" }
                word = (word ?? "") + String(character)
                escaped = false
            } else if character == "\\", quote != "'" {
                escaped = true
                word = word ?? ""
            } else if let open = quote {
                if character == open { quote = nil } else { word = (word ?? "") + String(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                word = word ?? ""
            } else if character == " " || character == "\t" || character.isNewline {
                if let finished = word { words.append(finished) }
                word = nil
            } else {
                word = (word ?? "") + String(character)
            }
        }
        guard quote == nil, !escaped else { return nil }
        if let word { words.append(word) }
        return words
    }
}
