import ArgumentParser
import PITRRepository


struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective settings and where each came from, secrets masked; exit 1 if any is invalid.",
        discussion: "Run it as the user and with the environment PostgreSQL runs archive_command with: 'sudo -u postgres tailtown-pitr --config FILE config'."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let invocation = try Invocation(global)
        let settings = invocation.settings
        for line in settings.report() {
            print(line)
        }
        var valid = true
        func check(_ body: () throws -> Void) {
            do { try body() } catch {
                print("error: \(error)")
                valid = false
            }
        }
        check { _ = try settings.repository() }
        check { _ = try settings.compression() }
        check { _ = try settings.compressionLevel() }
        check { _ = try settings.kmsCacheSeconds() }
        check { _ = try settings.fullBackupEvery() }
        check {
            if let source = try settings.awsCredentialsDescription(home: invocation.environment["HOME"]) { print("credentials: \(source)") }
        }
        check {
            if let summary = try invocation.keyWrapping().summary() { print(summary) }
        }
        check {
            if let keyring = try invocation.keyring() {
                let others = keyring.entries.filter { $0.status != .active }.map { "\($0.status.rawValue) \($0.idHex)" }
                print("encryption: aes-256-gcm, key id \(keyring.active.keyIDHex)"
                      + (others.isEmpty ? "" : " (also reads with \(others.joined(separator: ", ")))")
                      + ": objects and backup descriptors are authenticated")
            } else {
                print("encryption: none: \(Repository.withoutKeyNote)")
            }
        }
        if !valid { throw ExitCode(1) }
    }
}
