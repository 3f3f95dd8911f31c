import PITRSupport

/// A tar stream that is not the ustar subset PostgreSQL's BASE_BACKUP writes.
package enum TarFormatError: PITRError, Equatable {
    case corrupt(archive: String, reason: String)
    case unsupported(archive: String, entry: String, type: UInt8)

    package var description: String {
        switch self {
        case .corrupt(let archive, let reason):
            "backup archive \(archive) is damaged: \(reason)"
        case .unsupported(let archive, let entry, let type):
            "backup archive \(archive) holds entry '\(entry)' of tar type \(type), which PostgreSQL does not write"
        }
    }
}
