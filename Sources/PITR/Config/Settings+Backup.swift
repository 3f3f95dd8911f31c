import PITRSupport

extension Settings {
    /// TAILTOWN_FULL_EVERY in seconds: how old the last full backup may be before an automatic backup is full again;
    /// 7 days by default, 0 for every backup full.
    public func fullBackupEvery() throws -> Int64 {
        let definition = SettingDefinition.fullEvery
        guard let value = value(of: definition) else { return 7 * 86_400 }
        guard let seconds = DurationText.seconds(value.text) else {
            throw invalid(definition, value, "is not a duration such as 7d, 36h, 90m or 0")
        }
        return seconds
    }
}
