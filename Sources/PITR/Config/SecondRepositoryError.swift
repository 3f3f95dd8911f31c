import PITRSupport

/// A second repository (TAILTOWN_REPO2) that must not be used: each message names it and says what to do.
public enum SecondRepositoryError: PITRError, Equatable {
    /// TAILTOWN_REPO2 is where TAILTOWN_REPO is, or inside it, or around it.
    case samePlace(first: String, second: String)
    /// It holds a repository of another id.
    case otherRepository(second: String, secondID: String, firstID: String)
    /// Its log is sealed by a key this repository never accepted, or it is encrypted where the first is not (or not where it is).
    case otherKey(second: String, reason: String)
    /// It holds one of the first's metadata objects (marker, log entry, `archive.info`) with other bytes.
    case differentMetadata(second: String, object: String, original: String)

    public var description: String {
        switch self {
        case .samePlace(let first, let second):
            "TAILTOWN_REPO2 (\(second)) points at the same place as TAILTOWN_REPO (\(first)): give the second repository a place of its own"
        case .otherRepository(let second, let secondID, let firstID):
            "TAILTOWN_REPO2 (\(second)) holds another repository (id \(secondID), not \(firstID) of TAILTOWN_REPO): give the second repository an empty place"
        case .otherKey(let second, let reason):
            "TAILTOWN_REPO2 (\(second)) was made with another key than TAILTOWN_REPO's (\(reason)): give the second repository an empty place"
        case .differentMetadata(let second, let object, let original):
            "TAILTOWN_REPO2 (\(second)) holds \(object), which differs from \(original) of which it should be a copy (the two have diverged): "
                + "nothing was overwritten and nothing more is written there; find out what wrote it, then give the second repository an empty place"
        }
    }
}
