import PITRConfig

/// `wal-fetch` and `wal-push` in the one form PostgreSQL runs them, once per WAL segment:
/// `[--flag value]... wal-fetch NAME DESTINATION` and `[--flag value]... wal-push PATH`.
///
/// Each call pays its start-up again, thousands of times in a recovery or under a busy primary,
/// and ArgumentParser's parsing reflects over the commands (about 0.7 ms of a 4.6 ms hand-over).
/// This form is therefore read by hand; anything else (help, `--flag=value`, an unknown or
/// repeated flag, a value or an argument that starts with `-`, a missing or extra argument) is
/// left to ArgumentParser, so its messages and exit statuses stay the only ones.
enum PerSegmentCommand {
    case fetch(flags: [String: String], name: String, destination: String)
    case push(flags: [String: String], path: String)

    /// Nil when `arguments` are not exactly the plain form. The flags are those of
    /// `SettingDefinition`'s table, the same names `GlobalOptions` declares.
    init?(_ arguments: [String]) {
        var flags: [String: String] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex, arguments[index].hasPrefix("-") {
            guard index + 1 < arguments.endIndex, !arguments[index + 1].hasPrefix("-"),
                  let setting = SettingDefinition.all.first(where: { $0.flag == arguments[index] }),
                  flags.updateValue(arguments[index + 1], forKey: setting.name) == nil else { return nil }
            index += 2
        }
        let rest = arguments[index...]
        guard let command = rest.first, !rest.dropFirst().contains(where: { $0.hasPrefix("-") }) else { return nil }
        switch (command, Array(rest.dropFirst())) {
        case (WALFetchCommand.configuration.commandName, let operands) where operands.count == 2:
            self = .fetch(flags: flags, name: operands[0], destination: operands[1])
        case (WALPushCommand.configuration.commandName, let operands) where operands.count == 1:
            self = .push(flags: flags, path: operands[0])
        default:
            return nil
        }
    }

    func run() throws {
        switch self {
        case .fetch(let flags, let name, let destination):
            try WALFetchCommand.fetch(flags: flags, name: name, destination: destination)
        case .push(let flags, let path):
            try WALPushCommand.push(flags: flags, path: path)
        }
    }
}
