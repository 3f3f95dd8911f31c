import PITRPipeline
import PITRRetention
import PITRStorage
import PITRSupport

/// Checks one stored object without restoring anything: its header parses, its trailer is in
/// place (a truncated object lacks the trailer's end magic) and the listing size leaves room for
/// both. With `deep`, the whole object is decoded: decrypted, authenticated and its digest compared.
final class ObjectCheck {
    private let storage: Storage
    private let decoder: ObjectDecoder

    init(storage: Storage, key: MasterKey?) {
        self.storage = storage
        self.decoder = ObjectDecoder(key: key)
    }

    /// What a check found: the reason the object is not sound (naming it), or its format.
    enum Outcome: Equatable {
        case sound(format: UInt8)
        case problem(String)
    }

    func check(key: String, listedSize: Int, identity: ObjectIdentity?, deep: Bool) -> Outcome {
        let object = storage.describe(key)
        do {
            guard listedSize >= ObjectHeader.size + ObjectTrailer.size else { throw ObjectFormatError.truncated(object: object) }
            if deep {
                _ = try decoder.decode(from: try storage.openForReading(key), to: DiscardingSink(), object: object, identity: identity)
                return .sound(format: decoder.lastFormat)
            }
            let header = try ObjectHeader(parsing: try storage.readHead(of: key, count: ObjectHeader.size), object: object)
            _ = try ObjectTrailer(parsing: try storage.readTail(of: key, count: ObjectTrailer.size), object: object)
            return .sound(format: header.version)
        } catch let error as PITRError {
            return .problem(error.description)
        } catch {
            return .problem("cannot check \(object): \(error)")
        }
    }
}

/// Counts nothing, keeps nothing: `verify --deep` only wants the decoder's verdict.
final class DiscardingSink: ByteSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
}
