import PITRBackup

extension HeldLocks {
    /// Names the locked tables (`names`) from the relation names of `backup`, the backup the plan restores, which started
    /// before the stop: a lock's relation OID gives its table (an index's or TOAST relation's, its table's), and its
    /// database's OID the database. `namesMissing` says why the others are shown by OID.
    mutating func name(from stored: Result<RelationNames?, Error>, backup: String) {
        switch stored {
        case .failure(let error):
            namesMissing = "the relation names of backup \(backup) cannot be read: \(error)"
        case .success(nil):
            namesMissing = "backup \(backup) holds no relation names (taken by an earlier release, or they could not be read)"
        case .success(let known?):
            for lock in locks {
                guard let table = known.relations[lock.database]?[lock.relation] else { continue }
                names[lock] = known.qualifiedName(table, database: lock.database) + (known.databases[lock.database].map { " in database \($0)" } ?? "")
            }
            guard names.count < locks.count else { return }
            namesMissing = known.relations.isEmpty
                ? "backup \(backup)'s relation names keep no relation OIDs (taken by an earlier release)"
                : "the relation did not exist when backup \(backup) started"
        }
    }
}
