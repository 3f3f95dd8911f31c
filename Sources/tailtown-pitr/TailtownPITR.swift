import ArgumentParser

@main
struct TailtownPITR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tailtown-pitr",
        abstract: "PostgreSQL WAL archive and point-in-time recovery.",
        discussion: "Settings come from flags, then TAILTOWN_* environment variables, then the config file (--config or TAILTOWN_CONFIG), then /etc/tailtown-pitr.conf.",
        subcommands: [WALPushCommand.self, WALFetchCommand.self, KeygenCommand.self, ConfigCommand.self]
    )

    @OptionGroup var global: GlobalOptions
}
