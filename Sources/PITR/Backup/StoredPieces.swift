import PITRPipeline
import PITRRepository
import PITRSupport

/// One stream stored as objects "<archive>.0000", "<archive>.0001", ... of at most `objectSize` bytes each, every one
/// bound to its place and the last flagged last (docs/format.md, "Backups"): a backup's archives and a dump's output.
/// A failure removes the pieces stored so far and leaves no upload behind.
package struct StoredPieces {
    let repository: Repository
    let encoder: ObjectEncoder
    let objectSize: Int
    let log: Log
    /// The key of a piece named so.
    let key: (String) -> String
    /// The identity of a piece named so (its last-piece flag false: the trailer carries the flag).
    let identity: (String) throws -> ObjectIdentity

    package init(repository: Repository, encoder: ObjectEncoder, objectSize: Int, log: Log,
                 key: @escaping (String) -> String, identity: @escaping (String) throws -> ObjectIdentity) {
        self.repository = repository
        self.encoder = encoder
        self.objectSize = objectSize
        self.log = log
        self.key = key
        self.identity = identity
    }

    package func store(_ stream: ArchiveSource, archive: String) throws -> [BackupDescriptor.StoredObject] {
        var objects: [BackupDescriptor.StoredObject] = []
        do {
            repeat {
                let objectName = archive + "." + Self.pad(objects.count)
                let key = key(objectName)
                let source = BoundedSource(stream, limit: objectSize)
                let upload = try repository.storage.startUpload(key)
                let sink = CountingSink(upload)
                let trailer: ObjectTrailer
                do {
                    trailer = try encoder.encode(from: source, to: sink, as: try identity(objectName),
                                                 lastPiece: { try !source.isFull || !stream.hasMoreData() })
                } catch {
                    upload.abort()
                    throw error
                }
                guard try upload.commit() == .stored else {
                    throw BackupError.nameTaken(object: repository.storage.describe(key))
                }
                objects.append(.init(name: objectName, archive: archive, rawBytes: trailer.originalSize, storedBytes: sink.count))
                log.debug("stored \(repository.storage.describe(key)): \(trailer.originalSize) bytes, \(sink.count) stored")
                guard source.isFull else { break }
            } while try stream.hasMoreData()
        } catch {
            for object in objects { try? repository.storage.remove(key(object.name)) }
            throw error
        }
        return objects
    }

    private static func pad(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
