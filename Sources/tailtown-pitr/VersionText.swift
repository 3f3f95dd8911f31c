import PITRWAL

/// What `tailtown-pitr --version` prints: the version (the Debian package's too, `make deb`), the commit and the
/// PostgreSQL majors this build supports, from the one table that knows them.
enum VersionText {
    static let version = "0.1.0"

    static var text: String {
        let majors = PostgreSQLMajor.supported.map { "\($0)" }.joined(separator: ", ")
        return "tailtown-pitr \(version)\ncommit \(BuildCommit.id)\nPostgreSQL \(majors)"
    }
}
