/// Which PostgreSQL cluster a data directory holds: the major version and the system
/// identifier chosen at initdb. The repository keeps each cluster's WAL apart under its
/// `archiveID`, and wal-push refuses WAL whose page headers name another cluster.
public struct ClusterIdentity: Hashable, Sendable, CustomStringConvertible {
    public let majorVersion: Int
    public let systemIdentifier: UInt64

    public init(majorVersion: Int, systemIdentifier: UInt64) {
        self.majorVersion = majorVersion
        self.systemIdentifier = systemIdentifier
    }

    /// Parses an `archiveID` back, as found in a repository's folder names.
    public init(archiveID: String) throws {
        let parts = archiveID.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let major = Int(parts[0]), let system = UInt64(parts[1])
        else { throw WALError.invalidArchiveID(archiveID) }
        self.init(majorVersion: major, systemIdentifier: system)
    }

    /// `<major>-<system identifier>`, such as "15-7312093440512345678".
    public var archiveID: String { "\(majorVersion)-\(systemIdentifier)" }

    public var description: String { "PostgreSQL \(majorVersion) system \(systemIdentifier)" }

    /// Reads `PG_VERSION` and `global/pg_control` of a data directory, and refuses a pg_control whose version is
    /// not the one that major writes.
    public static func read(dataDirectory: String) throws -> ClusterIdentity {
        let major = try PostgreSQLVersionFile.majorVersion(dataDirectory: dataDirectory)
        let control = try PGControl.read(dataDirectory: dataDirectory)
        if let expected = PostgreSQLMajor.controlVersion(of: major), control.controlVersion != expected {
            throw WALError.controlVersionMismatch(file: dataDirectory + "/global/pg_control", version: control.controlVersion,
                                                  major: major, expected: expected)
        }
        return ClusterIdentity(majorVersion: major, systemIdentifier: control.systemIdentifier)
    }
}
