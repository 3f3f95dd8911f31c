import PITRWAL

/// What `archive.info` records about one cluster's archive (docs/format.md): the repository it belongs to, the
/// cluster, the segment size, and which names may hold format 1 objects. Sealed (a format 2 object) since the
/// repository log; plain text in an archive an earlier release made, until the first push of this release seals it.
package struct ArchiveInfo: Sendable {
    /// Bound into the identity of every object of the archive; empty for an archive whose repository has no log yet.
    package let repositoryID: String
    let systemIdentifier: String
    let pgVersion: String
    /// nil only while a history or `.backup` file is pushed before the archive's first segment (nothing is stored then).
    let segmentSize: WALSegmentSize?
    /// nil for an archive that has not switched to format 2 yet, where every object is of format 1.
    let formatSwitch: FormatSwitch?

    /// Whether an object of format 1 may stand under `file`'s name.
    func acceptsFormat1(_ file: WALFileName) -> Bool {
        guard let formatSwitch else { return true }
        guard let segmentSize else { return false }
        return formatSwitch.acceptsFormat1(file, segmentSize: segmentSize)
    }

    var text: MetadataText {
        MetadataText([
            ("repository-id", repositoryID),
            ("system-identifier", systemIdentifier),
            ("pg-version", pgVersion),
            ("segment-size", segmentSize.map { String($0.bytes) } ?? ""),
            ("format-1", (formatSwitch ?? .none).text),
        ])
    }

    init(repositoryID: String, systemIdentifier: String, pgVersion: String, segmentSize: WALSegmentSize?, formatSwitch: FormatSwitch?) {
        self.repositoryID = repositoryID
        self.systemIdentifier = systemIdentifier
        self.pgVersion = pgVersion
        self.segmentSize = segmentSize
        self.formatSwitch = formatSwitch
    }

    /// Parses a sealed `archive.info` (`sealed`) or one in plain text (whose `format-1` and `repository-id` lines are
    /// then absent: `repositoryID` and `formatSwitch` come from the caller).
    init(parsing text: MetadataText, object: String, sealed: Bool, repositoryID: String = "", formatSwitch recorded: FormatSwitch? = nil) throws {
        guard let bytes = UInt64(text["segment-size"] ?? ""), let size = try? WALSegmentSize(bytes: bytes) else {
            throw ArchiveError.unreadableMetadata(object: object, reason: "segment-size '\(text["segment-size"] ?? "")' is not a WAL segment size")
        }
        var formatSwitch = recorded
        if sealed {
            guard let parsed = FormatSwitch(text: text["format-1"] ?? "") else {
                throw ArchiveError.unreadableMetadata(object: object, reason: "format-1 '\(text["format-1"] ?? "")' is not a range of names")
            }
            formatSwitch = parsed
        }
        self.init(repositoryID: sealed ? text["repository-id"] ?? "" : repositoryID, systemIdentifier: text["system-identifier"] ?? "?",
                  pgVersion: text["pg-version"] ?? "?", segmentSize: size, formatSwitch: formatSwitch)
    }
}
