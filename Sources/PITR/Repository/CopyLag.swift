import PITRStorage
import PITRSupport

/// How far the second repository (TAILTOWN_REPO2) is behind the first: the objects the first holds that the second
/// does not hold at the same size, in files and stored bytes, and when the oldest of them was stored; what `status`
/// shows and `check --max-copy-lag` alarms on. Measured by listing both, so it covers WAL, backups and dumps alike.
public struct CopyLag: Equatable, Sendable {
    /// The second repository, as messages name it.
    public let second: String
    public let files: Int
    public let bytes: Int
    /// When the oldest object the second lacks was stored in the first; nil when it lacks none (or the store does not say).
    public let oldest: UTCTime?
    /// Why the second could not be listed; the counts are then zero.
    public let unreachable: String?

    /// Seconds since `oldest`, 0 when the second lacks nothing.
    public func age(now: UTCTime) -> Int64 {
        oldest.map { max(0, now.secondsSinceEpoch - $0.secondsSinceEpoch) } ?? 0
    }

    /// One line for `status`.
    public func text(now: UTCTime) -> String {
        if let unreachable { return "second repository \(second): cannot be read: \(unreachable)" }
        if files == 0 { return "second repository \(second): up to date" }
        return "second repository \(second): \(files) objects (\(String(byteCount: bytes))) not copied yet, the oldest stored "
            + "\(DurationText.text(age(now: now))) ago"
    }
}

extension SecondRepository {
    /// Lists both repositories; the first failing to list is an error, the second failing is recorded as `unreachable`.
    public func lag() throws -> CopyLag {
        let objects = try first.storage.listObjects(prefix: "")
        let held: [String: Int]
        do {
            held = Dictionary(try second.storage.listObjects(prefix: "").map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
        } catch let error as PITRError {
            return CopyLag(second: second.name, files: 0, bytes: 0, oldest: nil, unreachable: error.description)
        }
        let missing = objects.filter { held[$0.key] != $0.size }
        return CopyLag(second: second.name, files: missing.count, bytes: missing.reduce(0) { $0 + $1.size },
                       oldest: missing.compactMap(\.lastModified).min(), unreachable: nil)
    }
}
