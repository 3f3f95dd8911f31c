import ArgumentParser
import PITR

struct GlobalOptions: ParsableArguments {
    @Option(help: "config file") var config: String?
}

struct WALPush: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wal-push")
    @OptionGroup var global: GlobalOptions
    @Argument var path: String
    func run() throws { print("push \(path) config=\(global.config ?? "-")") }
}

@main
struct Root: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tailtown-pitr", subcommands: [WALPush.self])
    @OptionGroup var global: GlobalOptions
}
