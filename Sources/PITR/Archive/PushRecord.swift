import PITRPipeline
import PITRRepository
import PITRSupport
import PITRWAL

/// The record that the background pusher stored a WAL file before PostgreSQL asked for it:
/// `pg_wal/tailtown-pitr/pushed/<name>` (`PushedFolder`), holding the name, the repository, and
/// the size and digest of the stored original (the object's trailer). It is written and renamed
/// into place only after the object was committed durably (`InFlightPush.complete`), so a crash
/// at any moment leaves no record of a file that is not stored. When PostgreSQL later calls wal-push for the name, the record counts
/// only if the file in pg_wal still has that size and digest (a recycled or rewritten file has not).
struct PushRecord: Equatable {
    let name: WALFileName
    /// `Storage.describe("")` of the repository it was stored in: a record never vouches for another repository.
    let repository: String
    let trailer: ObjectTrailer

    /// The record of `name` in `folder`; nil when there is none or it cannot be read
    /// (an unreadable record only costs a second push, which the duplicate check accepts).
    static func read(_ name: WALFileName, in folder: String) -> PushRecord? {
        let path = folder + "/" + name.fileName
        guard FileSystem.exists(path),
              let bytes = try? FileSystem.readFile(path),
              let text = try? MetadataText(parsing: bytes, object: path),
              text["name"] == name.fileName,
              let repository = text["repository"],
              let size = text["size"].flatMap({ Int($0) }), size >= 0,
              let kind = text["digest-kind"].flatMap({ UInt8($0) }).flatMap(DigestKind.init(rawValue:)),
              let digest = text["digest"].flatMap(PushRecord.bytes(hex:)), digest.count == 32
        else { return nil }
        return PushRecord(name: name, repository: repository, trailer: ObjectTrailer(originalSize: size, digestKind: kind, digest: digest))
    }

    var text: MetadataText {
        MetadataText([
            ("name", name.fileName),
            ("repository", repository),
            ("size", String(trailer.originalSize)),
            ("digest-kind", String(trailer.digestKind.rawValue)),
            ("digest", hex(trailer.digest)),
        ])
    }

    private static func bytes(hex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
