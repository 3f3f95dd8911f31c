import PITRSupport

/// The first repository as `delete` sees it with a second one (TAILTOWN_REPO2): everything as the storage does, except
/// that an object is removed only when `confirmed` says the second holds its copy; the others are answered as kept for a
/// later run (as a lock would keep them, so a backup whose descriptor stays keeps all its objects), and listed in `kept`.
public final class ConfirmedRemovalStorage: ForwardingStorage {
    let confirmed: (String) -> Bool
    /// The keys left in place because the second repository does not hold them yet.
    public private(set) var kept: Set<String> = []

    public init(_ storage: Storage, confirmed: @escaping (String) -> Bool) {
        self.confirmed = confirmed
        super.init(base: storage)
    }

    @discardableResult
    public override func remove(keys: [String]) throws -> [LockedObject] {
        let unconfirmed = keys.filter { !confirmed($0) }
        kept.formUnion(unconfirmed)
        let locked = try base.remove(keys: keys.filter(confirmed))
        return locked + unconfirmed.map { LockedObject(key: $0, until: nil) }
    }

    public override func remove(_ key: String) throws {
        guard confirmed(key) else { kept.insert(key); return }
        try base.remove(key)
    }
}
