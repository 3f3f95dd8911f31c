import PITRSupport

/// The master keys a repository's objects may be encrypted with (docs/format.md, "Key file"): one active key, which
/// encrypts new objects, and any number of others, which only decrypt. A reader picks the key by the id in each
/// object's header, so objects written before and after a rotation sit side by side.
public struct Keyring: Sendable {
    /// What a key is for; every key decrypts.
    public enum Status: String, Sendable, CaseIterable {
        /// Encrypts new objects; exactly one key is active.
        case active
        /// Added ahead of a rotation (`keygen --rotate`), so that every host can read what it will encrypt.
        case pending
        /// Was active before an activation (`keygen --activate`); kept for the objects it encrypted.
        case retired
    }

    public struct Entry: Sendable {
        public let status: Status
        public let key: MasterKey
        /// `key.keyID`, derived once.
        public let id: [UInt8]

        public var idHex: String { hex(id) }
    }

    /// In the order of the key file.
    public let entries: [Entry]
    /// The key that encrypts.
    public let active: MasterKey

    /// One key, active: a legacy key file or TAILTOWN_ENCRYPTION_KEY.
    public init(single key: MasterKey) {
        entries = [Entry(status: .active, key: key, id: key.keyID)]
        active = key
    }

    /// Nil unless exactly one key is active and no two keys share an id (the key file's parser says which line is wrong).
    public init?(_ keys: [(status: Status, key: MasterKey)]) {
        let entries = keys.map { Entry(status: $0.status, key: $0.key, id: $0.key.keyID) }
        let actives = entries.filter { $0.status == .active }
        guard actives.count == 1, Set(entries.map(\.idHex)).count == entries.count else { return nil }
        self.entries = entries
        active = actives[0].key
    }

    /// The key whose id is `id`, whatever its status; nil when this keyring does not hold it.
    public func key(id: [UInt8]) -> MasterKey? {
        entries.first { $0.id == id }?.key
    }

    public var count: Int { entries.count }

    /// Every key's id, in the order of the key file, for messages.
    public var idsHex: [String] { entries.map(\.idHex) }
}
