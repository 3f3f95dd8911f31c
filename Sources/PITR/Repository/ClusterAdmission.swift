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
///   operator's consent in `wal/<archive id>/accepted`.
///
/// Consulted only before a cluster's `archive.info` exists: once its first segment is archived, it is at home.
public struct ClusterAdmission {
    static let acceptedName = "accepted"

    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Throws `ArchiveError.otherCluster` unless `identity` may archive here; one listing of `wal/`.
    public func check(_ identity: ClusterIdentity) throws {
        let keys = try repository.storage.list(prefix: "wal/")
        let archived = try ArchiveIndex.identities(among: keys, holding: ArchiveIndex.infoName).filter { $0 != identity }
        guard let newest = archived.map(\.majorVersion).max(), identity.majorVersion <= newest else { return }
        if try ArchiveIndex.identities(among: keys, holding: Self.acceptedName).contains(identity) { return }
        throw ArchiveError.otherCluster(repository: repository.name, archived: archived.map(\.archiveID), given: identity.archiveID)
    }

    /// Records the operator's consent for `identity` (idempotent); returns the object's description.
    public func accept(_ identity: ClusterIdentity, now: UTCTime) throws -> String {
        let key = WALArchive(repository: repository, identity: identity).folder + "/" + Self.acceptedName
        _ = try repository.createMetadata(key, MetadataText([("accepted", now.iso8601)]))
        return repository.storage.describe(key)
    }
}
