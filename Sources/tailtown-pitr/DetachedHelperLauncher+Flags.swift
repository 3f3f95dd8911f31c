import PITRArchive
import PITRConfig
import PITRSupport

extension DetachedHelperLauncher {
    /// Starts the detached helpers (prefetcher, background pusher) from this same binary with the
    /// same global options (`flags`, keyed by setting name); the environment passes on as it is.
    /// Nil when the binary is unknown.
    static func sameBinary(flags: [String: String]) -> DetachedHelperLauncher? {
        guard let executable = ProcessPaths.executable() else { return nil }
        let options = flags.sorted { $0.key < $1.key }.flatMap { name, value in
            SettingDefinition.named(name)?.flag.map { [$0, value] } ?? []
        }
        return DetachedHelperLauncher(command: [executable] + options)
    }
}
