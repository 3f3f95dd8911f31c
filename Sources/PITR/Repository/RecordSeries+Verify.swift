import PITRPipeline
import PITRStorage
import PITRSupport
import PITRWAL

/// The records of `verify/`: the outcome of each `verify`, and what `verify --window` proved of each archive. The one
/// that stands in each series is the newest that authenticates (`newestSealed`), so that a forged newer record neither
/// makes `status` and `check` fail or say "never verified", nor makes `delete` remove the genuine one.
extension RecordSeries {
    /// The outcome of each `verify`: `verify/verify.<sequence>`, once `verify.last`.
    package static let verify = RecordSeries(folder: "verify/", kinds: ["verify"], legacy: "verify.last")

    /// What `verify --window` proved of `archive` (`WindowProof`): `verify/window-<archive id>.<sequence>`, once
    /// `verify.window.<archive id>`.
    package static func windowProof(of archive: ClusterIdentity) -> RecordSeries {
        RecordSeries(folder: verify.folder, kinds: ["window-" + archive.archiveID], legacy: "verify.window." + archive.archiveID)
    }

    /// A verify record is bound to the repository and its name.
    package static func verifyIdentity(_ key: String, in repository: Repository) throws -> ObjectIdentity {
        ObjectIdentity(["repository": try repository.recordedState()?.repositoryID ?? "", "file": key])
    }

    /// A window proof is bound to the repository, the archive and its name (`verify.window` for an earlier release's single one).
    package static func windowProofIdentity(of archive: ClusterIdentity, _ key: String, in repository: Repository) throws -> ObjectIdentity {
        ObjectIdentity(["repository": try repository.recordedState()?.repositoryID ?? "", "archive": archive.archiveID,
                        "file": key == windowProof(of: archive).legacy ? "verify.window" : key])
    }

    /// The verify record that stands in `listing`, and the newer ones that do not authenticate. An earlier release's plain
    /// `verify.last` counts as no verify, without a warning.
    package static func standingVerify(in listing: [StoredObject], of repository: Repository) throws -> (standing: Sealed?, rejected: [Rejected]) {
        try verify.newestSealed(in: listing, of: repository, instead: "an older verify record is read instead",
                                quiet: { entry, _ in entry.sequence == 0 }, identity: { try verifyIdentity($0, in: repository) })
    }

    /// The window proof of `archive` that stands in `listing`, and the newer ones that do not authenticate.
    package static func standingWindowProof(of archive: ClusterIdentity, in listing: [StoredObject],
                                            of repository: Repository) throws -> (standing: Sealed?, rejected: [Rejected]) {
        try windowProof(of: archive).newestSealed(in: listing, of: repository, limit: 256 << 20, instead: "an older proof of the window is read instead",
                                                  quiet: { entry, _ in entry.sequence == 0 },
                                                  identity: { try windowProofIdentity(of: archive, $0, in: repository) })
    }

    /// The records of `verify/` that a newer one that authenticates supersedes: earlier verify outcomes, and earlier
    /// window proofs of `archives`. One listing: every series here is under the prefix "verify".
    package static func supersededVerifyRecords(in repository: Repository, archives: [ClusterIdentity]) throws -> [StoredObject] {
        let listing = try repository.storage.listObjects(prefix: "verify")
        return try verify.superseded(in: listing, by: standingVerify(in: listing, of: repository).standing)
            + archives.flatMap { try windowProof(of: $0).superseded(in: listing, by: standingWindowProof(of: $0, in: listing, of: repository).standing) }
    }

    /// The records of `verify/` newer than the one that stands in their series that do not authenticate (`verify`
    /// reports them).
    package static func rejectedVerifyRecords(in repository: Repository, archives: [ClusterIdentity]) throws -> [Rejected] {
        let listing = try repository.storage.listObjects(prefix: "verify")
        return try standingVerify(in: listing, of: repository).rejected
            + archives.flatMap { try standingWindowProof(of: $0, in: listing, of: repository).rejected }
    }
}
