import Foundation

/// A running cluster that has archived a few segments through tailtown-pitr and still holds the last one in pg_wal
/// (checkpoints are pushed out of the way, so nothing is recycled during the test).
struct ArchivedCluster {
    let sandbox: Sandbox
    let tailtown: Tailtown
    let cluster: PostgresCluster
    /// The last archived segment's name.
    let segment: String
    let systemIdentifier: String

    /// A cluster of `major` with `settings` besides the archiving ones.
    static func make(compression: String = "lz4", encrypted: Bool = true, major: Int = PostgreSQL.defaultMajor,
                     settings: [(String, String)] = []) throws -> ArchivedCluster {
        let sandbox = try Sandbox()
        return try make(in: sandbox, tailtown: try Tailtown.configure(in: sandbox, compression: compression, encrypted: encrypted),
                        major: major, settings: settings)
    }

    /// The same through a `tailtown` set up already (an s3:// one, say).
    static func make(in sandbox: Sandbox, tailtown: Tailtown, major: Int = PostgreSQL.defaultMajor,
                     settings: [(String, String)] = []) throws -> ArchivedCluster {
        let cluster = try PostgresCluster.initialize(in: sandbox, name: "primary", major: major)
        try cluster.archive(through: tailtown)
        try cluster.configure([("checkpoint_timeout", "1d"), ("max_wal_size", "4GB")] + settings)
        try cluster.start()
        _ = try cluster.query("create table filler as select g, md5(g::text) as h from generate_series(1, 100000) g")
        let segment = try cluster.switchWAL()
        try cluster.waitUntilArchived(segment)
        return ArchivedCluster(sandbox: sandbox, tailtown: tailtown, cluster: cluster, segment: segment,
                               systemIdentifier: try cluster.systemIdentifier())
    }

    /// The segment's file in the cluster's pg_wal.
    var walFile: String { cluster.dataDirectory + "/pg_wal/" + segment }

    /// The segment's object in the repository.
    var object: String { tailtown.repository.segmentObject(segment, systemIdentifier: systemIdentifier) }

    func stop() throws { try cluster.stop() }
}

/// Reads a whole file (tests only: segments are at most a few tens of MB).
func contents(of path: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: path))
}
