import ArgumentParser
import PITRConfig

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new random encryption key file (mode 0600) for TAILTOWN_ENCRYPTION_KEY_FILE.",
        discussion: "Keep a copy of the key outside the repository: without it, an encrypted archive cannot be restored."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The key file to create; an existing file is never overwritten.", valueName: "file"))
    var file: String

    func run() throws {
        try Invocation(global).run {
            try KeyFile.generate(at: file)
        }
    }
}
