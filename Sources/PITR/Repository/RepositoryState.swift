import PITRNative
import PITRSupport

/// What the repository log records about the repository (docs/format.md, "Repository log"): its id, whether it
/// is encrypted, the key ids it accepts (a list that only grows), and where each archive and the backups switched
/// to format 2. Every log entry holds the whole state, so a reader needs only the newest.
package struct RepositoryState: Equatable, Sendable {
    /// 32 random hex digits, bound into every object's identity; a copy of the repository keeps it.
    package let repositoryID: String
    package let encrypted: Bool
    /// Key ids (16 hex digits) in the order they were accepted; empty without encryption.
    package var acceptedKeys: [String]
    /// Archive id → the names that may hold format 1 objects (`FormatSwitch.none` for an archive made in format 2).
    package var archives: [String: FormatSwitch]
    /// Backups whose descriptor is plain text, written by an earlier release before the switch.
    package var legacyBackups: Set<String>
    /// The S3 Object Lock mode new objects are written with ("GOVERNANCE", "COMPLIANCE"), recorded once the bucket was
    /// found to have Object Lock; nil when objects are not locked.
    package var objectLock: String?
    /// The store was found to refuse a second conditional PUT (`Storage.checkConditionalWrites`), so it is not probed again.
    package var conditionalWrites = false

    package init(repositoryID: String, encrypted: Bool, acceptedKeys: [String], archives: [String: FormatSwitch] = [:],
                 legacyBackups: Set<String> = [], objectLock: String? = nil) {
        self.repositoryID = repositoryID
        self.encrypted = encrypted
        self.acceptedKeys = acceptedKeys
        self.archives = archives
        self.legacyBackups = legacyBackups
        self.objectLock = objectLock
    }

    /// A new random repository id.
    package static func newRepositoryID() throws -> String { hex(try SecureRandom.bytes(16)) }

    var lines: [(key: String, value: String)] {
        [("repository-id", repositoryID), ("encryption", encrypted ? "aes-256-gcm" : "none")]
            + acceptedKeys.map { ("accepted-key", $0) }
            + archives.sorted { $0.key < $1.key }.map { ("archive", "\($0.key) \($0.value.text)") }
            + legacyBackups.sorted().map { ("legacy-backup", $0) }
            + (objectLock.map { [("object-lock", $0)] } ?? [])
            + (conditionalWrites ? [("conditional-writes", "checked")] : [])
    }

    init(parsing text: MetadataText, object: String) throws {
        func unreadable(_ reason: String) -> ArchiveError { .unreadableMetadata(object: object, reason: reason) }
        guard let id = text["repository-id"], id.count == 32, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { throw unreadable("no repository-id of 32 hex digits") }
        guard let encryption = text["encryption"], ["none", "aes-256-gcm"].contains(encryption) else {
            throw unreadable("encryption '\(text["encryption"] ?? "")' is neither none nor aes-256-gcm")
        }
        var archives: [String: FormatSwitch] = [:]
        for line in text.all("archive") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let formatSwitch = FormatSwitch(text: String(parts[1])) else { throw unreadable("archive line '\(line)'") }
            archives[String(parts[0])] = formatSwitch
        }
        self.init(repositoryID: id, encrypted: encryption != "none", acceptedKeys: text.all("accepted-key"), archives: archives,
                  legacyBackups: Set(text.all("legacy-backup")), objectLock: text["object-lock"])
        conditionalWrites = text["conditional-writes"] == "checked"
    }
}
