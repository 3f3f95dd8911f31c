/// What an object is, bound into every object from format 2 on (docs/format.md, "Identity"): the cluster's
/// archive and the file's name for WAL; the backup, its archive and the piece's index for a backup piece.
/// Encrypted objects authenticate it with every chunk; plain ones hash it into their trailer digest. An object
/// copied to another name, cluster or piece therefore fails to decode instead of being handed over as the file
/// its new name says. It is never stored: the reader names what it expects.
public struct ObjectIdentity: Equatable, Sendable, CustomStringConvertible {
    /// `tailtown-pitr identity`, then one `field=value` line per field, in the order given.
    public let bytes: [UInt8]
    public let description: String
    /// A backup piece's trailer says whether it is the last of its archive, so a dropped last piece is seen.
    public let lastPiece: Bool
    /// Whether an object of format 1 (bound to nothing) may stand under this name: only one archived before its
    /// repository or archive switched to format 2 (the repository log records where, docs/format.md). Elsewhere a
    /// format 1 object is refused, as it could be a copy of an old object under a new name.
    public let acceptsFormat1: Bool

    /// `fields` are names and values without line breaks (archive ids, file names, numbers).
    public init(_ fields: KeyValuePairs<String, String>, lastPiece: Bool = false, acceptsFormat1: Bool = false) {
        precondition(fields.allSatisfy { !$0.key.contains("\n") && !$0.value.contains("\n") && !$0.key.contains("=") })
        bytes = Array(("tailtown-pitr identity\n" + fields.map { "\($0.key)=\($0.value)\n" }.joined()).utf8)
        description = fields.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + (lastPiece ? " (last piece)" : "")
        self.lastPiece = lastPiece
        self.acceptsFormat1 = acceptsFormat1
    }
}
