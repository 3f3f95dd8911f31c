import PITRConfig

extension Settings {
    /// TAILTOWN_RETAIN; daily=7 weekly=4 monthly=12 yearly=7 by default.
    public func retentionPolicy() throws -> RetentionPolicy {
        let definition = SettingDefinition.retain
        guard let value = value(of: definition) else { return .standard }
        do {
            return try RetentionPolicy(parsing: value.text, setting: definition.name)
        } catch RetentionError.badPolicy(_, _, let problem) {
            throw invalid(definition, value, problem + "; write it like '\(RetentionPolicy.standardText)'")
        }
    }
}
