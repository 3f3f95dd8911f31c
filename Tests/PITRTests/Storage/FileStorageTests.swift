import Testing
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport

@Suite struct FileStorageTests {
    let root: String
    let storage: FileStorage

    init() throws {
        root = "/tmp/tailtown-storage-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        storage = FileStorage(root: root)
    }

    private func store(_ key: String, _ bytes: [UInt8]) throws -> CommitOutcome {
        let upload = try storage.startUpload(key)
        try bytes.withUnsafeBytes { try upload.write($0) }
        return try upload.commit()
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        stat(path, &info)
        return info.st_mode & 0o777
    }

    @Test func storesReadsListsAndRemoves() throws {
        defer { _ = system("rm -rf '\(root)'") }
        #expect(try store("wal/a/one", [1, 2, 3]) == .stored)
        #expect(try store("wal/b/two", Array(0..<200)) == .stored)
        #expect(try storage.size(of: "wal/a/one") == 3)
        #expect(try storage.size(of: "wal/a/missing") == nil)
        #expect(try storage.readTail(of: "wal/b/two", count: 4) == [196, 197, 198, 199])
        #expect(try storage.readTail(of: "wal/a/one", count: 10) == [1, 2, 3])
        #expect(try storage.readSmallObject("wal/a/one") == [1, 2, 3])
        #expect(try storage.list(prefix: "wal/") == ["wal/a/one", "wal/b/two"])
        #expect(try storage.list(prefix: "wal/a/o") == ["wal/a/one"])
        #expect(mode(root + "/wal/a/one") == 0o600)
        #expect(mode(root + "/wal/a") == 0o700)
        try storage.remove("wal/a/one")
        try storage.remove("wal/a/one")
        #expect(try storage.list(prefix: "wal/a") == [])
    }

    /// A prefix that ends inside a name lists what matches in that folder and in its subfolders that match.
    @Test func aPrefixListsOnlyTheFoldersItCanMatch() throws {
        defer { _ = system("rm -rf '\(root)'") }
        for key in ["wal/x/00000002.history", "wal/x/0000000200000000/a", "wal/x/0000000200000001/b",
                    "wal/x/0000000100000000/c", "wal/x/00000003.history", "wal/y/0000000200000000/d"] {
            #expect(try store(key, [1]) == .stored)
        }
        #expect(try storage.list(prefix: "wal/x/00000002") == ["wal/x/00000002.history", "wal/x/0000000200000000/a", "wal/x/0000000200000001/b"])
        #expect(try storage.list(prefix: "wal/x/0000000200000001/") == ["wal/x/0000000200000001/b"])
        #expect(try storage.list(prefix: "wal").count == 6)
        #expect(try storage.list(prefix: "").count == 6)
    }

    /// Two writers of one key with the same pid (two hosts on one NFS repository) each keep their own temporary
    /// file: neither removes the other's, and each commits its own bytes, never the other's partial file.
    @Test func writersWithTheSamePidNeverPublishEachOthersPartialFile() throws {
        defer { _ = system("rm -rf '\(root)'") }
        let first = try storage.startUpload("wal/k")
        try [UInt8](repeating: 1, count: 4096).withUnsafeBytes { try first.write($0) }
        let second = try storage.startUpload("wal/k")
        try [UInt8](repeating: 2, count: 10).withUnsafeBytes { try second.write($0) }
        let temporaries = try FileSystem.list(root + "/wal").filter { $0.hasPrefix(".k.\(getpid()).") && $0.hasSuffix(".tmp") }
        #expect(temporaries.count == 2, "\(temporaries)")
        #expect(try first.commit() == .stored)
        #expect(try storage.readSmallObject("wal/k") == [UInt8](repeating: 1, count: 4096))
        #expect(try second.commit() == .alreadyExists)
        #expect(try storage.readSmallObject("wal/k") == [UInt8](repeating: 1, count: 4096))
        #expect(try FileSystem.list(root + "/wal") == ["k"])
        // A name of the old form (`.<name>.<pid>.tmp`) that another writer holds is left alone as well.
        let foreign = root + "/wal/.j.\(getpid()).tmp"
        try SystemFile.createExclusive(foreign).write([9])
        let third = try storage.startUpload("wal/j")
        try [UInt8]([3]).withUnsafeBytes { try third.write($0) }
        #expect(try third.commit() == .stored)
        #expect(try FileSystem.readFile(foreign) == [9])
        #expect(try storage.readSmallObject("wal/j") == [3])
    }

    @Test func neverReplaces() throws {
        defer { _ = system("rm -rf '\(root)'") }
        #expect(try store("k", [1]) == .stored)
        #expect(try store("k", [2]) == .alreadyExists)
        #expect(try storage.readSmallObject("k") == [1])
        #expect(try FileSystem.list(root) == ["k"])
    }

    @Test func uncommittedUploadIsNeverVisible() throws {
        defer { _ = system("rm -rf '\(root)'") }
        do {
            let upload = try storage.startUpload("wal/x")
            try [UInt8](repeating: 7, count: 1000).withUnsafeBytes { try upload.write($0) }
            #expect(try storage.size(of: "wal/x") == nil)
            #expect(try storage.list(prefix: "") == [])
            upload.abort()
        }
        do {
            let upload = try storage.startUpload("wal/y")
            try [UInt8](repeating: 7, count: 10).withUnsafeBytes { try upload.write($0) }
            // Released without commit: nothing remains.
        }
        #expect(try FileSystem.list(root + "/wal") == [])
    }

    @Test func missingObjectIsNotFound() throws {
        #expect(throws: StorageError.notFound(object: "file://\(root)/nope")) {
            _ = try storage.openForReading("nope")
        }
        #expect(try storage.readSmallObject("nope") == nil)
    }
}
