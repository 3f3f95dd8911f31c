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

    init(storage: Storage, keyring: Keyring?) {
        self.storage = storage
        self.decoder = ObjectDecoder(keyring: keyring)
    }

    /// What a check found: the reason the object is not sound (naming it), or its format; and the id of the key that
    /// encrypted it, from its header, when it is encrypted and the header could be read.
    struct Outcome: Equatable {
        enum Verdict: Equatable {
            case sound(format: UInt8)
            case problem(String)
        }

        var verdict: Verdict
        var keyID: String?
        /// False when the header could not be read, so the object may need any key.
        var headerRead: Bool

        static func problem(_ reason: String) -> Outcome { Outcome(verdict: .problem(reason), keyID: nil, headerRead: false) }
    }

    func check(key: String, listedSize: Int, identity: ObjectIdentity?, deep: Bool) -> Outcome {
        let object = storage.describe(key)
        var header: ObjectHeader?
        func outcome(_ verdict: Outcome.Verdict) -> Outcome {
            Outcome(verdict: verdict, keyID: header.flatMap { $0.cipher == .none ? nil : hex($0.keyID) }, headerRead: header != nil)
        }
        do {
            guard listedSize >= ObjectHeader.size + ObjectTrailer.size else { throw ObjectFormatError.truncated(object: object) }
            if deep {
                let source = try storage.openForReading(key)
                do {
                    _ = try decoder.decode(from: source, to: DiscardingSink(), object: object, identity: identity)
                    header = decoder.lastHeader
                } catch {
                    // The header tells which key the object needs even when the rest fails.
                    header = decoder.lastHeader
                    throw error
                }
                return outcome(.sound(format: header?.version ?? 0))
            }
            header = try ObjectHeader(parsing: try storage.readHead(of: key, count: ObjectHeader.size), object: object)
            _ = try ObjectTrailer(parsing: try storage.readTail(of: key, count: ObjectTrailer.size), object: object)
            return outcome(.sound(format: header?.version ?? 0))
        } catch let error as PITRError {
            return outcome(.problem(error.description))
        } catch {
            return outcome(.problem("cannot check \(object): \(error)"))
        }
    }
}

/// Counts nothing, keeps nothing: `verify --deep` only wants the decoder's verdict.
final class DiscardingSink: ByteSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
}
