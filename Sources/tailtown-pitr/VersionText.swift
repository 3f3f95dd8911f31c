import PITRNative
import PITRWAL

/// What `tailtown-pitr --version` prints: the version (the Debian package's too, `make deb`), the commit, the
/// PostgreSQL majors this build supports, from the one table that knows them, and the versions of the libraries linked
/// in statically, which a security update of the system's reaches only through a rebuild (docs/operations.md).
enum VersionText {
    static let version = "0.1.0"

    static var text: String {
        let majors = PostgreSQLMajor.supported.map { "\($0)" }.joined(separator: ", ")
        return "tailtown-pitr \(version)\ncommit \(BuildCommit.id)\nPostgreSQL \(majors)\n"
            + "linked in \(HTTPClient.libraryVersion) liblz4/\(LZ4FrameDecompressor.libraryVersion) libzstd/\(ZstdDecompressor.libraryVersion)"
    }
}
