import Testing
@testable import PITRSupport

@Suite struct FileSystemTests {
    @Test func dirnameAndBasename() {
        #expect(FileSystem.dirname(of: "pg_wal/000000010000000000000001") == "pg_wal")
        #expect(FileSystem.dirname(of: "/x") == "/")
        #expect(FileSystem.dirname(of: "name") == ".")
        #expect(FileSystem.basename(of: "/a/b/c/") == "c")
    }

    @Test func writtenFileReadsBackAndListsAlone() throws {
        let folder = "/tmp/tailtown-fs-test-\(getpid())"
        try FileSystem.makeDirectories(folder)
        try SystemFile.createExclusive(folder + "/f").write([1, 2, 3])
        #expect(try FileSystem.readFile(folder + "/f") == [1, 2, 3])
        #expect(try FileSystem.list(folder) == ["f"])
        try FileSystem.remove(folder + "/f")
        rmdir(folder)
    }
}
