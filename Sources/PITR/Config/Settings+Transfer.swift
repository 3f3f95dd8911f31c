#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The typed accessors of the settings that shape how many transfers run at once:
/// push-ahead in wal-push, the prefetcher of wal-fetch.
extension Settings {
    /// TAILTOWN_UPLOAD_CONCURRENCY; unset means one per online core, at least 2 (uploads
    /// wait on the network more than on the processor), at most 8.
    public func uploadConcurrency() throws -> Int {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return try integer(.uploadConcurrency, in: 1...16) ?? min(8, max(2, online))
    }

    /// TAILTOWN_PUSH_AHEAD: at most this many `.ready` segments per wal-push call; 0 is off;
    /// unset means four rounds of the upload concurrency.
    public func pushAhead() throws -> Int {
        try integer(.pushAhead, in: 0...256) ?? 4 * uploadConcurrency()
    }

    /// TAILTOWN_PREFETCH: segments staged ahead of recovery; 0 is off.
    public func prefetch() throws -> Int {
        try integer(.prefetch, in: 0...64) ?? 0
    }

    private func integer(_ definition: SettingDefinition, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(of: definition) else { return nil }
        guard let number = Int(value.text), range.contains(number) else {
            throw ConfigError.invalidValue(setting: definition.name, value: value.text, origin: value.origin,
                                           problem: "is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }
}
