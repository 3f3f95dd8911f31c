import Testing
@testable import PITRBackup

@Suite struct RelationNamesTests {
    /// Names with the characters the format escapes come back as they were; a damaged line is refused, naming the object.
    @Test func namesSurviveTheirTextAndDamageIsNamed() throws {
        var names = RelationNames()
        names.databases[5] = "postgres"
        names.databases[16384] = "tab\there"
        names.namespaces[5] = [2200: "public", 16390: "back\\slash"]
        names.tables[.init(database: 5, number: 16400)] = .init(namespace: 2200, name: "orders")
        names.tables[.init(database: 5, number: 16401)] = .init(namespace: 16390, name: "two\nlines")
        names.relations[5] = [16399: .init(namespace: 2200, name: "orders")]
        let parsed = try RelationNames(parsing: names.bytes, object: "relation-names.0000")
        #expect(parsed == names)
        #expect(parsed.qualifiedName(.init(namespace: 16390, name: "two\nlines"), database: 5) == "back\\slash.two\nlines")
        #expect(parsed.qualifiedName(.init(namespace: 777, name: "t"), database: 5) == "777.t")

        let damaged = names.bytes + Array("f\t5\tnot-a-number\t2200\tx\n".utf8)
        #expect {
            try RelationNames(parsing: damaged, object: "relation-names.0000")
        } throws: { error in
            "\(error)" == "the relation names relation-names.0000 are unreadable: line 9 is not a database, schema, file or relation entry"
        }
        #expect(throws: BackupError.self) { try RelationNames(parsing: Array("something else\n".utf8), object: "x") }
        // A map of format 1 (before relation OIDs were kept) still reads, without them.
        let formatOne = try RelationNames(parsing: Array("tailtown-pitr relation names 1\nf\t5\t16400\t2200\torders\n".utf8), object: "x")
        #expect(formatOne.tables.count == 1 && formatOne.relations.isEmpty)
    }
}
