import PITRSupport

/// Why a stored object cannot be decoded (docs/format.md, "Object format"). Every message
/// names the object; none of these is fixed by retrying.
public enum ObjectFormatError: PITRError, Equatable {
    case notAnObject(object: String)
    case unsupportedVersion(object: String, version: UInt8)
    case unknownCompression(object: String, code: UInt8)
    case unknownCipher(object: String, code: UInt8)
    case unsupportedChunkSize(object: String, log2: UInt8)
    case corruptHeader(object: String, reason: String)
    case truncated(object: String)
    case corruptTrailer(object: String, reason: String)
    case authenticationFailed(object: String, chunk: Int)
    /// `given`: the ids of the configured keys.
    case wrongKey(object: String, expected: String, given: [String])
    case encryptedButNoKey(object: String, keyID: String)
    case plaintextButKeyGiven(object: String, keyID: String)
    case digestMismatch(object: String)
    case sizeMismatch(object: String, expected: Int, actual: Int)
    /// What lists the object (a backup descriptor) records another original size than the object has.
    case listedSizeMismatch(object: String, listed: Int, actual: Int)
    case tooLarge(object: String, limit: Int)
    case identityMismatch(object: String, identity: String)
    case unexpectedFormat(object: String, version: UInt8)
    case format1AfterSwitch(object: String, identity: String)
    case corruptCompressedData(object: String, reason: String)

    public var description: String {
        switch self {
        case let .notAnObject(object):
            "object \(object) is not a tailtown-pitr object (no TTPR header)"
        case let .unsupportedVersion(object, version):
            "object \(object) has format version \(version), which this tailtown-pitr does not read; use a newer release"
        case let .unknownCompression(object, code):
            "object \(object) names unknown compression code \(code); it is damaged or from a newer release"
        case let .unknownCipher(object, code):
            "object \(object) names unknown cipher code \(code); it is damaged or from a newer release"
        case let .unsupportedChunkSize(object, log2):
            "object \(object) declares a chunk size of 2^\(log2) bytes, outside the supported range; it is damaged"
        case let .corruptHeader(object, reason):
            "object \(object) has a damaged header: \(reason)"
        case let .truncated(object):
            "object \(object) is truncated (its trailer or part of its data is missing)"
        case let .corruptTrailer(object, reason):
            "object \(object) has a damaged trailer: \(reason)"
        case let .authenticationFailed(object, chunk):
            "object \(object) failed authentication at chunk \(chunk): it was altered, truncated or reordered, or copied from another name, cluster or backup"
        case let .wrongKey(object, expected, given):
            "object \(object) was encrypted with key \(expected), which the configured key"
                + (given.count == 1 ? " (\(given[0])) is not" : "s (\(given.joined(separator: ", "))) do not include")
                + ": add key \(expected) to the key file as a retired key (docs/operations.md, \"Key rotation\")"
        case let .encryptedButNoKey(object, keyID):
            "object \(object) is encrypted with key \(keyID) but no encryption key is configured; set TAILTOWN_ENCRYPTION_KEY_FILE"
        case let .plaintextButKeyGiven(object, keyID):
            "object \(object) is not encrypted but the repository uses encryption key \(keyID); it may have been replaced, refusing it"
        case let .digestMismatch(object):
            "object \(object) decodes to bytes whose digest differs from its trailer: it is damaged, or it was copied from another name, cluster or backup"
        case let .sizeMismatch(object, expected, actual):
            "object \(object) decodes to \(actual) bytes but its trailer records \(expected): it is damaged"
        case let .unexpectedFormat(object, version):
            "object \(object) has format \(version) but is listed by a plain-text descriptor of an earlier release, which lists only format 1 objects: the descriptor was replaced"
        case let .format1AfterSwitch(object, identity):
            "object \(object) is of format 1, which binds no name, where only format 2 objects (bound to \(identity)) were archived: it may be an old object copied under this name, so it is refused"
        case let .identityMismatch(object, identity):
            "object \(object) is not \(identity): its last-piece flag says otherwise, so a piece of its archive was dropped, added or copied in"
        case let .listedSizeMismatch(object, listed, actual):
            "object \(object) decodes to \(actual) bytes where the descriptor that lists it says \(listed): it was replaced or the descriptor is damaged"
        case let .tooLarge(object, limit):
            "object \(object) decodes to more than \(limit) bytes, more than an object of its kind can hold: it is damaged or misnamed"
        case let .corruptCompressedData(object, reason):
            "object \(object) holds damaged compressed data: \(reason)"
        }
    }
}
