import PITRPipeline
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
        if try ArchiveIndex.identities(among: keys, holding: Self.acceptedName).contains(identity), try isAccepted(identity) { return }
        throw ArchiveError.otherCluster(repository: repository.name, archived: archived.map(\.archiveID), given: identity.archiveID)
    }

    /// Records the operator's consent for `identity`, sealed (idempotent); returns the object's description.
    public func accept(_ identity: ClusterIdentity, now: UTCTime) throws -> String {
        let key = Self.key(identity)
        _ = try SealedMetadata.store(MetadataText([("accepted", now.iso8601)]), at: key, identity: try sealIdentity(identity),
                                     replace: true, under: repository.key, in: repository)
        return repository.storage.describe(key)
    }

    /// Whether the consent for `identity` is sealed in this repository: a plain-text one (an earlier release's, or
    /// written by someone without the key) does not count.
    private func isAccepted(_ identity: ClusterIdentity) throws -> Bool {
        guard case .sealed? = try SealedMetadata.read(Self.key(identity), identity: try sealIdentity(identity), in: repository) else { return false }
        return true
    }

    private static func key(_ identity: ClusterIdentity) -> String { "wal/\(identity.archiveID)/\(acceptedName)" }

    private func sealIdentity(_ identity: ClusterIdentity) throws -> ObjectIdentity {
        ObjectIdentity(["repository": try repository.state().repositoryID, "archive": identity.archiveID, "file": Self.acceptedName])
    }
}
