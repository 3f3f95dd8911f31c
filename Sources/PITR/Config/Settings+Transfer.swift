import PITRSupport

/// The typed accessors of the settings that shape how many transfers run at once:
/// wal-push's background pusher, the prefetcher of wal-fetch; and how long wal-fetch gives a late file.
extension Settings {
    /// TAILTOWN_UPLOAD_CONCURRENCY; unset means one per online core, at least 2 (uploads
    /// wait on the network more than on the processor), at most 8.
    public func uploadConcurrency() throws -> Int {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return try integer(.uploadConcurrency, in: 1...16) ?? min(8, max(2, online))
    }

    /// TAILTOWN_PUSH_AHEAD: at most this many `.ready` files the background pusher has stored or is
    /// storing ahead of PostgreSQL's calls; 0 is off. Unset means eight per upload thread: records
    /// cost nothing but a small file, and a pusher that runs far enough ahead never waits for
    /// PostgreSQL's calls to take them, nor they for its uploads.
    public func pushAhead() throws -> Int {
        try integer(.pushAhead, in: 0...256) ?? 8 * uploadConcurrency()
    }

    /// TAILTOWN_PREFETCH: segments staged ahead of recovery; 0 is off.
    public func prefetch() throws -> Int {
        try integer(.prefetch, in: 0...64) ?? 0
    }

    /// TAILTOWN_FETCH_GAP_GRACE: seconds a later WAL file must have been archived before wal-fetch
    /// takes a missing file for a hole rather than for one about to be archived.
    public func fetchGapGrace() throws -> Int {
        try integer(.fetchGapGrace, in: 0...86_400) ?? 60
    }

    private func integer(_ definition: SettingDefinition, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(of: definition) else { return nil }
        guard let number = Int(value.text), range.contains(number) else {
            throw invalid(definition, value, "is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }
}
