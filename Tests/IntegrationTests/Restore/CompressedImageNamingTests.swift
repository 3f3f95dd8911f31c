import Testing

extension PostgreSQLIntegration {
    /// `incidents` names tables whose pg_class rows lie only in full-page images that wal_compression compressed: for
    /// each method the server accepts (pglz always; lz4 and zstd when it was built with them, else skipped with the
    /// reason), after a checkpoint a table is created (its pg_class insert carries the page's compressed image),
    /// renamed (an update logged against the old row, which only that image holds) and dropped; each DROP TABLE names
    /// the table by its new name, none by relation number. On every major.
    @Suite struct CompressedImageNamingTests {
        @Test(arguments: PostgreSQL.supportedMajors)
        func tablesInCompressedPageImagesAreNamed(major: Int) throws {
            let sandbox = try Sandbox()
            let source = try RestoreSource(sandbox: sandbox, tailtown: try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: false), major: major)
            let primary = source.cluster
            var methods: [String] = []
            for method in ["pglz", "lz4", "zstd"] {
                do {
                    _ = try primary.query("set wal_compression = \(method)")
                    methods.append(method)
                } catch {
                    let said = "\(error)".split(separator: "\n").first { $0.hasPrefix("ERROR:") } ?? "\(error)"
                    print("wal_compression = \(method) skipped on \(major): this server build does not accept it (\(said))")
                }
            }
            #expect(methods.contains("pglz"))
            try source.backup()
            var expected: [String] = []
            for method in methods {
                _ = try primary.query("""
                    checkpoint; set wal_compression = \(method);
                    create table squeezed_\(method) (id int); insert into squeezed_\(method) select generate_series(1, 10);
                    """)
                _ = try primary.query("set wal_compression = \(method); alter table squeezed_\(method) rename to renamed_\(method)")
                let drop = try primary.query("select pg_current_xact_id(); drop table renamed_\(method)")
                expected.append("DROP TABLE \(drop) public.renamed_\(method)")
            }
            try source.archiveAll()

            let (summaries, listed) = try IncidentsTests.summaries(of: source)
            #expect(summaries == expected, "\(listed)")
            print("incidents on \(major) with wal_compression = \(methods.joined(separator: ", ")): \(summaries)")
        }
    }
}
