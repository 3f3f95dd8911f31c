/// The compression of an object's payload, as named in configuration and recorded in the header.
public enum Compression: String, CaseIterable, Sendable {
    case none, lz4, zstd

    /// The byte that stands for it in an object header (docs/format.md).
    public var code: UInt8 {
        switch self {
        case .none: 0
        case .lz4: 1
        case .zstd: 2
        }
    }

    public init?(code: UInt8) {
        guard let match = Compression.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }
}
