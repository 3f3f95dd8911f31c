import Testing
@testable import PITRConfig

@Suite struct ConfigFileTests {
    @Test func parsesCommentsQuotesAndWhitespace() throws {
        let lines = [
            "# a comment",
            "; another comment",
            "  # indented comment",
            "",
            "TAILTOWN_REPO = file:///srv/pitr\r",
            "\tTAILTOWN_COMPRESSION=\"zstd\"  ",
            "TAILTOWN_COMPRESSION_LEVEL='3'",
            #"TAILTOWN_ENCRYPTION_KEY_FILE="/keys/a \"quoted\" \\ name\n""#,
            #"TAILTOWN_LOG_LEVEL='no \escapes\'"#,
            "OTHER_PROGRAM=ignored",
            "PGHOST=/run/postgresql",
            "TAILTOWN_COMPRESSION=lz4",
        ]
        let file = try ConfigFile.parse(lines.joined(separator: "\n"), path: "/c.conf")
        #expect(file.entries["TAILTOWN_REPO"] == .init(value: "file:///srv/pitr", line: 5))
        // The last assignment wins, as in systemd.
        #expect(file.entries["TAILTOWN_COMPRESSION"] == .init(value: "lz4", line: 12))
        #expect(file.entries["TAILTOWN_COMPRESSION_LEVEL"] == .init(value: "3", line: 7))
        #expect(file.entries["TAILTOWN_ENCRYPTION_KEY_FILE"]?.value == #"/keys/a "quoted" \ name\n"#)
        #expect(file.entries["TAILTOWN_LOG_LEVEL"]?.value == #"no \escapes\"#)
        #expect(file.entries["OTHER_PROGRAM"] == nil)
        #expect(file.entries["PGHOST"] == nil)
        #expect(file.entries.count == 5)
    }

    @Test func windowsLineEndingsAreAccepted() throws {
        let file = try ConfigFile.parse("# c\r\nTAILTOWN_REPO=file:///x\r\nTAILTOWN_COMPRESSION=none\r\n", path: "/c")
        #expect(file.entries["TAILTOWN_REPO"] == .init(value: "file:///x", line: 2))
        #expect(file.entries["TAILTOWN_COMPRESSION"] == .init(value: "none", line: 3))
    }

    @Test func quotesAreOnlyStrippedWhenTheyEnclose() throws {
        let file = try ConfigFile.parse("TAILTOWN_REPO=file:///a\"b\nTAILTOWN_LOG_LEVEL=\"\"\nTAILTOWN_COMPRESSION=''", path: "/c")
        #expect(file.entries["TAILTOWN_REPO"]?.value == "file:///a\"b")
        #expect(file.entries["TAILTOWN_LOG_LEVEL"]?.value == "")
        #expect(file.entries["TAILTOWN_COMPRESSION"]?.value == "")
    }

    @Test(arguments: [
        ("TAILTOWN_REPO=file:///x\njust words\n", 2, "is not NAME=value: it has no '='"),
        ("\n\n\nTAILTOWN_LOG_LEVEL='it''s'", 4, "has text after the closing quote of its value"),
        ("TAILTOWN_REPO=\"file:///x", 1, "has a quoted value with no closing \""),
        ("# c\nTAILTOWN_REPO='x", 2, "has a quoted value with no closing '"),
        ("=value", 1, "is not NAME=value: a name is letters, digits and _, not starting with a digit"),
        ("export TAILTOWN_REPO=file:///x", 1, "is not NAME=value: remove 'export'"),
        ("1ABC=x", 1, "is not NAME=value: a name is letters, digits and _, not starting with a digit"),
    ])
    func malformedLinesNameFileAndLine(_ text: String, _ line: Int, _ problem: String) {
        let error = configError { try ConfigFile.parse(text, path: "/etc/t.conf") }
        #expect(error == .malformedLine(path: "/etc/t.conf", line: line, problem: problem))
        #expect(error?.description == "line \(line) of /etc/t.conf \(problem)")
    }

    @Test func anUnknownKeyIsAnErrorWithASuggestion() {
        let error = configError { try ConfigFile.parse("# x\nTAILTOWN_ENCRYPTON_KEY_FILE=/k\n", path: "/etc/t.conf") }
        #expect(error == .unknownKey(path: "/etc/t.conf", line: 2, key: "TAILTOWN_ENCRYPTON_KEY_FILE", suggestion: "TAILTOWN_ENCRYPTION_KEY_FILE"))
        #expect(error?.description
            == "line 2 of /etc/t.conf sets TAILTOWN_ENCRYPTON_KEY_FILE, which is not a setting (did you mean TAILTOWN_ENCRYPTION_KEY_FILE?): fix the name or remove the line")
    }

    @Test func anUnknownKeyFarFromAnyNameHasNoSuggestion() {
        let error = configError { try ConfigFile.parse("TAILTOWN_S3_BUCKET=b", path: "/t") }
        #expect(error == .unknownKey(path: "/t", line: 1, key: "TAILTOWN_S3_BUCKET", suggestion: nil))
    }

    @Test func aLowercaseKeyUnderOurPrefixIsCaughtNotIgnored() {
        let error = configError { try ConfigFile.parse("tailtown_compression=none", path: "/t") }
        // Shown only by its suggestion: a name that is not all uppercase is never echoed.
        #expect(error == .unknownKey(path: "/t", line: 1, key: nil, suggestion: "TAILTOWN_COMPRESSION"))
        #expect(error?.description
            == "line 1 of /t sets a name under TAILTOWN_ that is not a setting (did you mean TAILTOWN_COMPRESSION?): fix the name or remove the line")
    }

    @Test func theConfigSettingCannotBeSetInAFile() {
        #expect(configError { try ConfigFile.parse("TAILTOWN_CONFIG=/other", path: "/t") }
            == .notAllowedInFile(path: "/t", line: 1, key: "TAILTOWN_CONFIG"))
    }

    @Test func errorsInTheDefaultFileStopLoading() throws {
        let folder = ConfigTestFolder()
        let fallback = try folder.write("default.conf", "TAILTOWN_REPO=file:///x\nTAILTOWN_COMPRESSON=zstd\n")
        let error = configError { try Settings.load(flags: [:], environment: [:], defaultFile: fallback) }
        #expect(error == .unknownKey(path: fallback, line: 2, key: "TAILTOWN_COMPRESSON", suggestion: "TAILTOWN_COMPRESSION"))
    }
}
