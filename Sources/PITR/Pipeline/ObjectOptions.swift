/// How `ObjectEncoder` writes objects: the compression, its level, and the key (nil = plain).
public struct ObjectOptions: Sendable {
    public var compression: Compression
    /// nil means the compression's default: lz4 1 (fast mode), zstd 3.
    public var level: Int?
    /// nil writes plain objects; otherwise every object is encrypted under a key derived from it.
    public var key: MasterKey?

    public init(compression: Compression, level: Int? = nil, key: MasterKey? = nil) {
        self.compression = compression
        self.level = level
        self.key = key
    }
}
