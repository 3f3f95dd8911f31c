import Testing
@testable import PITRSupport

@Suite struct PathTableTests {
    @Test func findsEveryPathAndNothingElse() throws {
        var table = PathTable<Int>()
        #expect(table.index(of: "a") == nil)
        let paths = ["base/5/16384", "base/5/1638", "base/5/16384_fsm", "", "global/pg_control", "base/5/é", "PG_VERSION"]
        #expect(paths.enumerated().allSatisfy { table.append(Array($0.element.utf8), $0.offset) })
        let twice = table.sort()
        #expect(twice == nil)
        #expect(table.count == paths.count)
        // Byte order: a prefix before what it starts, uppercase before lowercase, UTF-8 after ASCII.
        #expect((0..<table.count).map(table.path(at:)) == ["", "PG_VERSION", "base/5/1638", "base/5/16384", "base/5/16384_fsm", "base/5/é", "global/pg_control"])
        for (value, path) in paths.enumerated() {
            let index = try #require(table.index(of: path))
            #expect(table.value(at: index) == value && table.path(at: index) == path)
        }
        for absent in ["base/5/163", "base/5/163840", "base/5/e", "global", "zzz", "PG_VERSION "] { #expect(table.index(of: absent) == nil) }
    }

    @Test func namesAPathAddedTwice() {
        var table = PathTable<Int>()
        for path in ["b", "a", "c", "a"] { _ = table.append(Array(path.utf8), 0) }
        let twice = table.sort()
        #expect(twice == "a")
    }
}
