import PITRBackup
import PITRRepository
import PITRWAL

/// Names the tables and the database of each incident of one cluster as they were (docs/recovery.md, "Names"): a table
/// by the pg_class row that gave it its file or its name in the WAL read (an insert: CREATE; an update: TRUNCATE, a
/// rewrite, RENAME) when that row is newer than the newest backup that started before the incident, else by that backup's
/// relation names (`RelationNames`); the schema, and the database, by those names too. What cannot be
/// named keeps its relation file (or OID), and `nameUnknown` says why.
struct IncidentNaming {
    let repository: Repository
    /// The cluster's backups, oldest start first.
    let backups: [BackupDescriptor]
    /// pg_class rows inserts and updates in the WAL read wrote that could not be read (`ClassTupleReplay.unreadable`).
    let unreadableClassRows: Int
    /// Why the first pg_class page image in the WAL read that does not restore was refused.
    let refusedClassImage: String?
    private var loaded: [String: Result<RelationNames?, Error>] = [:]

    init(repository: Repository, identity: ClusterIdentity, unreadableClassRows: Int, refusedClassImage: String?) throws {
        self.repository = repository
        backups = try BackupCatalog(repository: repository).list().filter { $0.identity == identity }.sorted { $0.startLSN < $1.startLSN }
        self.unreadableClassRows = unreadableClassRows
        self.refusedClassImage = refusedClassImage
    }

    mutating func name(_ incident: inout Incident) {
        let backup = backups.last { $0.startLSN < incident.commitLSN }
        let names: RelationNames?
        let missing: String
        switch backup.map({ stored($0) }) {
        case .success(let stored?)?:
            names = stored
            missing = "its file was created after backup \(backup?.name ?? "") started, and no pg_class row that gave it lies in the WAL read"
                + (unreadableClassRows > 0 ? " (\(unreadableClassRows) pg_class rows written there cannot be read: they were logged against an "
                    + "earlier version of the row whose page image lies before the WAL read, or lie in page images that do not decompress"
                    + (refusedClassImage.map { "; the first refused: \($0)" } ?? "") + ")" : "")
        case .success(nil)?:
            names = nil
            missing = "backup \(backup?.name ?? ""), the newest that started before it, holds no relation names (taken by an earlier release, or they could not be read)"
        case .failure(let error)?:
            names = nil
            missing = "the relation names of backup \(backup?.name ?? "") cannot be read: \(error)"
        case nil:
            names = nil
            missing = "no backup started before it, and no pg_class row for its file lies in the WAL read"
        }
        incident.databaseName = names?.databases[incident.database]
        for index in incident.tables.indices {
            let file = incident.tables[index].file
            // A pg_class row written after the backup started is newer than its names; one before, older (a rename since).
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
