import PITRSupport

/// A failure reported by one of the C libraries (liblz4, libzstd, libcrypto), with the
/// library's own message. Corrupt compressed input surfaces as `.corruptInput`, so the
/// object decoder can tell damaged data from a broken library or a misuse.
public enum NativeError: PITRError, Equatable {
    /// `library` failed in `operation` with its own `message`.
    case library(library: String, operation: String, message: String)
    /// The compressed input is not a valid frame of `format`.
    case corruptInput(format: String, message: String)
    /// The compressed input ended before its frame did.
    case incompleteFrame(format: String)
    /// Bytes follow the end of the compressed frame.
    case trailingData(format: String)

    public var description: String {
        switch self {
        case let .library(library, operation, message):
            "\(library) failed in \(operation): \(message)"
        case let .corruptInput(format, message):
            "corrupt \(format) data: \(message)"
        case let .incompleteFrame(format):
            "the \(format) frame ends early"
        case let .trailingData(format):
            "unexpected bytes after the end of the \(format) frame"
        }
    }
}
