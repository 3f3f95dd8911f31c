import PITRBackup
import PITRRepository
import PITRWAL

/// A committed transaction that destroyed data, as `incidents` lists it (docs/recovery.md).
public struct Incident: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case dropTable = "DROP TABLE"
        case truncate = "TRUNCATE"
        case dropDatabase = "DROP DATABASE"
        case delete = "DELETE"
        case update = "UPDATE"
    }

    /// One relation file the transaction dropped or changed rows of, and the name of its table as it was.
    public struct Table: Equatable, Sendable {
        public struct Name: Equatable, Sendable {
            public let schema: String
            public let table: String
            public var qualified: String { schema + "." + table }
        }

        public let file: RelationFile
        public let dropped: Bool
        public let rowsDeleted: Int
        public let rowsUpdated: Int
        /// Heap pages the deleted and updated rows lay on (0 for a dropped file: its size is not in the WAL).
        public let pages: Int
        /// The table's name (`IncidentNaming`); nil when it cannot be known, and then `nameUnknown` says why.
        public internal(set) var name: Name?
        public internal(set) var nameUnknown: String?
        /// The table as the last pg_class row for its file in the WAL read named it, before its schema is named, and that row's LSN.
        var learned: RelationNames.Table?
        var learnedAt: LSN?
    }

    /// Where to restore to: just before the commit (`promote`: the copy is promoted there), or for DROP DATABASE
    /// just before the record that marked the database invalid.
    public enum Target: Equatable, Sendable {
        case beforeTransaction(xid: UInt32, promote: Bool)
        case beforeLSN(LSN)
    }

    public let cluster: ClusterIdentity
    public let timeline: TimelineID
    public let commitLSN: LSN
    public let commitTime: PostgresTimestamp
    public let xid: UInt32
    public let kind: Kind
    /// The database's OID (0 when the commit names none).
    public let database: UInt32
    /// The database's name, when a backup's relation names hold it.
    public internal(set) var databaseName: String?
    public internal(set) var tables: [Table]
    public let target: Target

    /// Stable across runs: the timeline and the commit record's LSN, `<timeline>-<lsn in hex>`.
    public var id: String { "\(timeline.rawValue)-\(String(commitLSN.rawValue, radix: 16, uppercase: true))" }

    /// The arguments of `restore` that recover to just before the incident (the target directory is the user's);
    /// `cluster` and `timeline` are named when the repository holds several clusters or the archive several timelines.
    public func restoreArguments(namingCluster: Bool, namingTimeline: Bool) -> [String] {
        var arguments: [String]
        switch target {
        case .beforeTransaction(let xid, let promote):
            arguments = ["--xid", String(xid), "--exclusive"] + (promote ? ["--action", "promote"] : [])
        case .beforeLSN(let lsn): arguments = ["--lsn", lsn.description, "--exclusive"]
        }
        if namingTimeline { arguments += ["--timeline", String(timeline.rawValue)] }
        if namingCluster { arguments += ["--cluster", cluster.archiveID] }
        return arguments
    }
}
