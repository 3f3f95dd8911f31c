import PITRStorage
import PITRSupport
import PITRWAL

/// Records that a later one supersedes (the last `verify`, a backup's permanent mark), each written once under a name
/// of its own and never replaced, so that a repository under S3 Object Lock never rewrites a locked object
/// (docs/format.md, "Records written once"): `<folder><kind>.<sequence>`, the highest sequence deciding. The record
/// an earlier release wrote under a single name (`legacy`) counts as sequence 0. `delete` removes the superseded ones.
package struct RecordSeries: Sendable {
    package struct Entry: Sendable {
        package let kind: String
        package let sequence: Int
        package let object: StoredObject
    }

    /// Ends with "/" (or with "." for records named after the legacy one: `archive.info.sealed.<sequence>`).
    package let folder: String
    /// The kinds of record, the first the one `legacy` is.
    package let kinds: [String]
    package let legacy: String

    package init(folder: String, kinds: [String], legacy: String) {
        self.folder = folder
        self.kinds = kinds
        self.legacy = legacy
    }

    /// The series' records in `listing` (which may hold other objects), by sequence.
    package func entries(in listing: [StoredObject]) -> [Entry] {
        listing.compactMap { object -> Entry? in
            if object.key == legacy { return Entry(kind: kinds[0], sequence: 0, object: object) }
            guard object.key.hasPrefix(folder) else { return nil }
            let parts = object.key.dropFirst(folder.count).split(separator: ".")
            guard parts.count == 2, kinds.contains(String(parts[0])), let sequence = Int(parts[1]), sequence > 0 else { return nil }
            return Entry(kind: String(parts[0]), sequence: sequence, object: object)
        }.sorted { $0.sequence < $1.sequence }
    }

    /// The series as `storage` lists it (its folder, and the legacy name when it lies outside).
    package func listing(on storage: Storage) throws -> [StoredObject] {
        try storage.listObjects(prefix: folder) + (legacy.hasPrefix(folder) ? [] : storage.listObjects(prefix: legacy))
    }

    /// Every record but the newest: what `delete` removes (once their locks have ended).
    package func superseded(in listing: [StoredObject]) -> [StoredObject] {
        entries(in: listing).dropLast().map(\.object)
    }

    /// How many times `append` lists and tries the next sequence before it gives up.
    static let attempts = 10

    /// Lists the series and writes a record of `kind` under the next sequence with `store` (which must not replace);
    /// when another process took that name first, lists again, `attempts` times at most: a name found taken every time
    /// is an error naming the series (a store that answers "exists" to every new name). Returns the key written.
    package func append(_ kind: String, on storage: Storage, _ store: (String) throws -> CommitOutcome) throws -> String {
        for _ in 1...Self.attempts {
            let next = String((entries(in: try listing(on: storage)).last?.sequence ?? 0) + 1)
            // Zero-padded, so that a listing's order is the sequence's.
            let key = folder + kind + "." + String(repeating: "0", count: max(0, 8 - next.count)) + next
            if try store(key) == .stored { return key }
        }
        throw RecordSeriesError.contended(series: storage.describe(folder + kind + ".*"), attempts: Self.attempts)
    }
}

/// A record that could not be appended to its series.
package enum RecordSeriesError: PITRError, Equatable {
    case contended(series: String, attempts: Int)

    package var description: String {
        switch self {
        case .contended(let series, let attempts):
            "cannot write the next record of \(series): its next name was taken \(attempts) times in a row (another writer, or a store "
                + "that answers every new name with 'already exists'); nothing was written"
        }
    }
}
