import PITRBackup
import PITRRepository
import PITRWAL

/// Names the tables and the database of each incident of one cluster as they were (docs/recovery.md, "Names"): a table
/// by its pg_class insert in the WAL read when it was created there, else by the relation names of the newest backup
/// that started before the incident (`RelationNames`); the schema, and the database, by those names too. What cannot be
/// named keeps its relation file (or OID), and `nameUnknown` says why.
struct IncidentNaming {
    let repository: Repository
    /// The cluster's backups, oldest start first.
    let backups: [BackupDescriptor]
    /// pg_class inserts in the WAL read whose rows could not be read (compressed page images).
    let unreadableClassRows: Int
    private var loaded: [String: Result<RelationNames?, Error>] = [:]

    init(repository: Repository, identity: ClusterIdentity, unreadableClassRows: Int) throws {
        self.repository = repository
        backups = try BackupCatalog(repository: repository).list().filter { $0.identity == identity }.sorted { $0.startLSN < $1.startLSN }
        self.unreadableClassRows = unreadableClassRows
    }

    mutating func name(_ incident: inout Incident) {
        let backup = backups.last { $0.startLSN < incident.commitLSN }
        let names: RelationNames?
        let missing: String
        switch backup.map({ stored($0) }) {
        case .success(let stored?)?:
            names = stored
            missing = "its file was created after backup \(backup?.name ?? "") started, and no pg_class insert for it lies in the WAL read "
                + "(the new file TRUNCATE, VACUUM FULL, CLUSTER or a rewriting ALTER TABLE gives a table is named by a pg_class update, which is not read"
                + (unreadableClassRows > 0 ? "; \(unreadableClassRows) pg_class inserts there lie in compressed page images, wal_compression, which are not read)" : ")")
        case .success(nil)?:
            names = nil
            missing = "backup \(backup?.name ?? ""), the newest that started before it, holds no relation names (taken by an earlier release, or they could not be read)"
        case .failure(let error)?:
            names = nil
            missing = "the relation names of backup \(backup?.name ?? "") cannot be read: \(error)"
        case nil:
            names = nil
            missing = "no backup started before it, and no pg_class insert for its file lies in the WAL read"
        }
        incident.databaseName = names?.databases[incident.database]
        for index in incident.tables.indices {
            let file = incident.tables[index].file
            // A pg_class insert after the backup started is newer than its names; one before, older (a rename since).
            let (learned, mapped) = (incident.tables[index].learned, names?.tables[RelationNames.FileKey(file)])
            var learnedIsNewer = true
            if let at = incident.tables[index].learnedAt, let backup { learnedIsNewer = at > backup.startLSN }
            guard let table = learnedIsNewer ? learned ?? mapped : mapped ?? learned else {
                incident.tables[index].nameUnknown = missing
                continue
            }
            let schema = names?.namespaces[file.database]?[table.namespace] ?? String(table.namespace)
            incident.tables[index].name = Incident.Table.Name(schema: schema, table: table.name)
        }
    }

    /// `backup`'s relation names, read once.
    private mutating func stored(_ backup: BackupDescriptor) -> Result<RelationNames?, Error> {
        if let known = loaded[backup.name] { return known }
        let result = Result { try RelationNames(of: backup, in: repository) }
        loaded[backup.name] = result
        return result
    }
}
