import PITRPipeline
import PITRStorage
import PITRSupport
import PITRWAL

/// Whether a cluster may start an archive of its own in a repository that already archives
/// others (docs/operations.md, "Major upgrades"). A pg_upgrade gives the new cluster a new system
/// identifier, so the repository cannot tell it from an unrelated cluster; it goes by the major:
///
/// - a repository with no archive yet takes any cluster;
/// - a cluster whose major is newer than every archived one is an upgrade and is taken;
/// - any other (the same or an older major with another system identifier: most often a second
///   server pointed at the wrong repository) is refused, unless `accept-cluster` recorded the
///   operator's consent in `wal/<archive id>/consent/accepted.<sequence>` (written once each, never replaced: an
///   earlier release's `wal/<archive id>/accepted` counts as sequence 0).
///
/// Consulted only before a cluster's `archive.info` exists: once its first segment is archived, it is at home.
public struct ClusterAdmission {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Throws `ArchiveError.otherCluster` unless `identity` may archive here; one listing of `wal/`.
    public func check(_ identity: ClusterIdentity) throws {
        let listing = try repository.storage.listObjects(prefix: "wal/")
        let archived = try ArchiveIndex.identities(among: listing.map(\.key), holding: ArchiveIndex.infoName).filter { $0 != identity }
        guard let newest = archived.map(\.majorVersion).max(), identity.majorVersion <= newest else { return }
        if try consent(of: identity, in: listing) != nil { return }
        throw ArchiveError.otherCluster(repository: repository.name, archived: archived.map(\.archiveID), given: identity.archiveID)
    }

    /// Records the operator's consent for `identity`, sealed, unless a sealed one stands already; returns the
    /// description of the object that holds it.
    public func accept(_ identity: ClusterIdentity, now: UTCTime) throws -> String {
        let series = Self.series(of: identity)
        let key = try consent(of: identity, in: try series.listing(on: repository.storage))?.entry.object.key
            ?? series.append(series.kinds[0], on: repository.storage) { key in
                try SealedMetadata.store(MetadataText([("accepted", now.iso8601)]), at: key, identity: try sealIdentity(identity, key: key),
                                         under: repository.key, in: repository)
            }
        return repository.storage.describe(key)
    }

    /// The newest consent for `identity` in `listing` that authenticates (`RecordSeries.newestSealed`: each newer one is
    /// warned of); an earlier release's plain `accepted` does not count, quietly. nil when there is none.
    private func consent(of identity: ClusterIdentity, in listing: [StoredObject]) throws -> RecordSeries.Sealed? {
        try Self.series(of: identity).newestSealed(in: listing, of: repository, instead: "an older consent is read instead",
                                                   quiet: { entry, _ in entry.sequence == 0 },
                                                   identity: { try sealIdentity(identity, key: $0) }).standing
    }

    /// The consents for `identity` in `listing` older than the newest that authenticates (none without one): a record
    /// that does not, which anyone who can write to the bucket can put there, never supersedes.
    package func supersededConsents(of identity: ClusterIdentity, in listing: [StoredObject]) throws -> [StoredObject] {
        Self.series(of: identity).superseded(in: listing, by: try consent(of: identity, in: listing))
    }

    /// `wal/<archive id>/consent/accepted.<sequence>`, an earlier release's `wal/<archive id>/accepted` sequence 0.
    private static func series(of identity: ClusterIdentity) -> RecordSeries {
        RecordSeries(folder: "wal/\(identity.archiveID)/consent/", kinds: ["accepted"], legacy: "wal/\(identity.archiveID)/accepted")
    }

    /// Bound to the repository, the archive and the record's name (`accepted` for an earlier release's single one).
    private func sealIdentity(_ identity: ClusterIdentity, key: String) throws -> ObjectIdentity {
        ObjectIdentity(["repository": try repository.state().repositoryID, "archive": identity.archiveID,
                        "file": key == Self.series(of: identity).legacy ? "accepted" : key])
    }
}
