import PITRStorage

/// Which `archive.info.sealed.<n>` stands: the newest that authenticates, not the newest by name
/// (`RecordSeries.newestSealed`).
extension WALArchive {
    /// Reads the records of `infoSeries` in `listing` but the first, newest first, up to the first that authenticates:
    /// that one (nil when none does), and the newer ones that do not, each warned of once per command.
    package func standingInfo(in listing: [StoredObject]) throws -> (standing: RecordSeries.Sealed?, rejected: [RecordSeries.Rejected]) {
        try infoSeries.newestSealed(in: listing, of: repository, instead: "an older record of archive.info is read instead",
                                    include: { $0.object.key != infoKey }, identity: infoIdentity)
    }
}
