import Testing
@testable import PITR

@Suite struct ClusterIdentityTests {
    private func control(system: UInt64, version: UInt32, catalog: UInt32 = 202_209_061) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
            (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
        return le(system) + le(version) + le(catalog) + [UInt8](repeating: 0, count: 100)
    }

    @Test func decodesPGControl() throws {
        let parsed = try PGControl(bytes: control(system: 7_312_093_440_512_345_678, version: 1300), file: "global/pg_control")
        #expect(parsed.systemIdentifier == 7_312_093_440_512_345_678)
        #expect(parsed.controlVersion == 1300)
        #expect(parsed.catalogVersion == 202_209_061)
    }

    @Test func rejectsShortOrImplausibleControlFiles() {
        #expect(throws: WALError.controlFileTooShort(file: "c", bytes: 15)) { try PGControl(bytes: Array(control(system: 1, version: 1300).prefix(15)), file: "c") }
        // 1300 written big-endian, as another byte order would show it.
        #expect(throws: WALError.implausibleControlVersion(file: "c", version: 0x1405_0000)) {
            try PGControl(bytes: control(system: 1, version: 0x1405_0000), file: "c")
        }
        #expect(throws: WALError.implausibleControlVersion(file: "c", version: 0)) { try PGControl(bytes: control(system: 1, version: 0), file: "c") }
    }

    @Test func parsesPGVersion() throws {
        #expect(try PostgreSQLVersionFile.majorVersion(content: Array("15\n".utf8), file: "PG_VERSION") == 15)
        #expect(try PostgreSQLVersionFile.majorVersion(content: Array("17".utf8), file: "PG_VERSION") == 17)
        #expect(throws: WALError.unsupportedMajorVersion(12, file: "PG_VERSION")) {
            try PostgreSQLVersionFile.majorVersion(content: Array("12\n".utf8), file: "PG_VERSION")
        }
        #expect(throws: WALError.invalidVersionFile(file: "PG_VERSION", content: "9.6 ")) {
            try PostgreSQLVersionFile.majorVersion(content: Array("9.6\n".utf8), file: "PG_VERSION")
        }
        #expect(throws: WALError.self) { try PostgreSQLVersionFile.majorVersion(content: [], file: "PG_VERSION") }
        #expect(throws: WALError.self) { try PostgreSQLVersionFile.majorVersion(content: Array("fifteen".utf8), file: "PG_VERSION") }
    }

    @Test func archiveID() throws {
        let identity = ClusterIdentity(majorVersion: 15, systemIdentifier: 7_312_093_440_512_345_678)
        #expect(identity.archiveID == "15-7312093440512345678")
        #expect(try ClusterIdentity(archiveID: "15-7312093440512345678") == identity)
        for bad in ["15", "15-", "-1", "15-x", "15-1-2", "15 -1", "+15-1"] {
            #expect(throws: WALError.invalidArchiveID(bad)) { try ClusterIdentity(archiveID: bad) }
        }
    }

    @Test func missingDataDirectoryNamesTheFile() {
        let error = #expect(throws: IOError.self) { try ClusterIdentity.read(dataDirectory: "/nonexistent-tailtown") }
        #expect(error?.path == "/nonexistent-tailtown/PG_VERSION")
        #expect(error?.isNotFound == true)
    }
}
