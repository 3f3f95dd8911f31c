import ArgumentParser
import PITRConfig

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new key file (mode 0600) for TAILTOWN_ENCRYPTION_KEY_FILE, or rotate the key of one; prints the key id.",
        discussion: """
            Without options: a new file with one new random key, active. --rotate adds a new random key, pending: \
            every host given the file can read what it will encrypt. --activate ID makes that key the one new objects \
            are encrypted with and retires the old one, which still decrypts. Copy the file to every host that \
            restores, and off-site, between the two steps (docs/operations.md, "Key rotation"). Keep a copy of the \
            key file outside the repository: without it, an encrypted archive cannot be restored.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Add a new random pending key to the existing key file.")
    var rotate = false

    @Option(help: ArgumentHelp("Make the pending key with this id active and retire the active key.", valueName: "id"))
    var activate: String?

    @Argument(help: ArgumentHelp("The key file: created (an existing file is never overwritten), or, with --rotate and --activate, rewritten whole.",
                                 valueName: "file"))
    var file: String

    func validate() throws {
        if rotate, activate != nil { throw ValidationError("--rotate and --activate are two steps: copy the key file to every host between them") }
    }

    func run() throws {
        let invocation = try Invocation(global)
        let wrapping = invocation.keyWrapping()
        try invocation.run {
            if let activate {
                try KeyFile.activate(activate, at: file, wrapping: wrapping)
                print("key \(activate.lowercased()) is active: new objects are encrypted with it")
            } else if rotate {
                let id = try KeyFile.rotate(at: file, wrapping: wrapping)
                print("key \(id) added as pending: copy \(file) to every host that restores and off-site, then run 'tailtown-pitr keygen --activate \(id) \(file)' on every host that pushes")
            } else {
                let id = try KeyFile.generate(at: file, wrapping: wrapping)
                print("key \(id) written to \(file)" + (wrapping.wrapsNewKeys ? ", held only wrapped (by KMS and a second wrapping)" : ""))
            }
        }
    }
}
