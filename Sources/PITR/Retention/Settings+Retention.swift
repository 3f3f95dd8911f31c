import PITRConfig

extension Settings {
    /// TAILTOWN_RETAIN; daily=7 weekly=4 monthly=12 yearly=7 by default.
    public func retentionPolicy() throws -> RetentionPolicy {
        try policy(.retain) ?? .standard
    }

    /// TAILTOWN_RETAIN_DUMPS; TAILTOWN_RETAIN when unset.
    public func dumpRetentionPolicy() throws -> RetentionPolicy {
        try policy(.retainDumps) ?? retentionPolicy()
    }

    private func policy(_ definition: SettingDefinition) throws -> RetentionPolicy? {
        guard let value = value(of: definition) else { return nil }
        do {
            return try RetentionPolicy(parsing: value.text, setting: definition.name)
        } catch RetentionError.badPolicy(_, _, let problem) {
            // The problem quotes words of the value: only a value that may be shown may be quoted.
            let said = definition.shown(value.text) == nil ? "is not a retention policy" : problem
            throw invalid(definition, value, said + "; write it like '\(RetentionPolicy.standardText)'")
        }
    }

    /// With TAILTOWN_S3_OBJECT_LOCK, the seconds a new object is locked for before its margin: the daily class's horizon
    /// (it is needed at least until the next `delete` extends the locks of what is kept); 0 without a lock.
    public func objectLockHorizon() throws -> Int64 {
        guard value(of: .s3ObjectLock) != nil else { return 0 }
        return Int64(try retentionPolicy().counts[.daily] ?? 0) * 86_400
    }
}
