import Foundation
import Testing
@testable import PITRSupport
@testable import PITRWAL

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
        #expect(try PostgreSQLVersionFile.majorVersion(content: Array("18\n".utf8), file: "PG_VERSION") == 18)
        for unsupported in [12, 14, 19] {
            let error = WALError.unsupportedMajorVersion(unsupported, source: "'PG_VERSION'")
            #expect(throws: error) { try PostgreSQLVersionFile.majorVersion(content: Array("\(unsupported)\n".utf8), file: "PG_VERSION") }
            #expect(error.description == "PostgreSQL \(unsupported) (from 'PG_VERSION') is not supported by this build of tailtown-pitr, which supports PostgreSQL 15 to 18")
        }
        #expect(throws: WALError.invalidVersionFile(file: "PG_VERSION", content: "9.6 ")) {
            try PostgreSQLVersionFile.majorVersion(content: Array("9.6\n".utf8), file: "PG_VERSION")
        }
        #expect(throws: WALError.self) { try PostgreSQLVersionFile.majorVersion(content: [], file: "PG_VERSION") }
        #expect(throws: WALError.self) { try PostgreSQLVersionFile.majorVersion(content: Array("fifteen".utf8), file: "PG_VERSION") }
    }

    /// A data directory whose pg_control version is not the one its PG_VERSION's major writes (a 19 pg_control
    /// under an 18 PG_VERSION, say) is refused, naming both.
    @Test func refusesAControlVersionOfAnotherMajor() throws {
        let fake = try FakeDataDirectory()
        let data = fake.dataDirectory
        func write(_ relative: String, _ bytes: [UInt8]) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: data + "/" + relative))
        }
        try write("PG_VERSION", Array("18\n".utf8))
        try write("global/pg_control", control(system: 42, version: 1800))
        #expect(try ClusterIdentity.read(dataDirectory: data) == ClusterIdentity(majorVersion: 18, systemIdentifier: 42))
        try write("global/pg_control", control(system: 42, version: 1900))
        let error = WALError.controlVersionMismatch(file: data + "/global/pg_control", version: 1900, major: 18, expected: 1800)
        #expect(throws: error) { try ClusterIdentity.read(dataDirectory: data) }
        #expect(error.description.contains("pg_control version 1900, but PostgreSQL 18 (its PG_VERSION) writes 1800"))
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
