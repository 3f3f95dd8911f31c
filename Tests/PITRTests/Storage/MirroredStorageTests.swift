import Foundation
import Testing
@testable import PITRStorage
@testable import PITRSupport

/// `MirroredStorage` over two real file:// folders: the same bytes in both, a second that fails never fails the first.
@Suite struct MirroredStorageTests {
    let root = "/tmp/tailtown-mirrored-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    private func folderFiles(_ path: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// More than the chunks handed over, in writes of uneven sizes, as the encoder makes them.
    private func write(_ bytes: [UInt8], to upload: Upload) throws {
        var offset = 0
        var size = 1
        while offset < bytes.count {
            let count = min(size, bytes.count - offset)
            try bytes[offset..<offset + count].withUnsafeBytes { try upload.write($0) }
            offset += count
            size = size * 3 % 700_001 + 1
        }
    }

    @Test func writesTheSameBytesToBothAndCommitsBoth() throws {
        defer { _ = system("rm -rf '\(root)'") }
        let first = FileStorage(root: root + "/first"), second = FileStorage(root: root + "/second")
        let mirrored = MirroredStorage(first: first, second: second, log: Log(level: .error))
        let bytes = (0..<(MirroredUpload.chunkSize * 5 / 2 + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        let upload = try mirrored.startUpload("backups/one.0000")
        try write(bytes, to: upload)
        #expect(try upload.commit() == .stored)
        #expect(try first.readSmallObject("backups/one.0000", limit: 8 << 20) == bytes)
        #expect(try second.readSmallObject("backups/one.0000", limit: 8 << 20) == bytes)

        // Aborted: neither holds anything of it, not even a hidden temporary file.
        let aborted = try mirrored.startUpload("backups/two.0000")
        try write(Array(bytes.prefix(MirroredUpload.chunkSize + 1)), to: aborted)
        aborted.abort()
        #expect(folderFiles(root + "/first/backups") == ["one.0000"])
        #expect(folderFiles(root + "/second/backups") == ["one.0000"])
        #expect(mirrored.secondFailures.isEmpty)
    }

    @Test func aSecondThatFailsLeavesTheFirstWholeAndTheRestGoesToTheFirstAlone() throws {
        defer { _ = system("rm -rf '\(root)'") }
        let first = FileStorage(root: root + "/first"), second = FileStorage(root: root + "/second")
        let mirrored = MirroredStorage(first: first, second: second, log: Log(level: .error))
        let bytes = (0..<(MirroredUpload.chunkSize * 2 + 1)).map { UInt8(truncatingIfNeeded: $0 >> 3) }
        let upload = try mirrored.startUpload("dumps/d1/db.0000")
        try write(Array(bytes.prefix(MirroredUpload.chunkSize / 2)), to: upload)
        // The second's folder goes away under the upload: its commit cannot link the object.
        _ = system("rm -rf '\(root)/second'")
        try write(Array(bytes.dropFirst(MirroredUpload.chunkSize / 2)), to: upload)
        #expect(try upload.commit() == .stored)
        #expect(try first.readSmallObject("dumps/d1/db.0000", limit: 8 << 20) == bytes)
        #expect(mirrored.secondFailures.map(\.key) == ["dumps/d1/db.0000"])

        let next = try mirrored.startUpload("dumps/d1/db.0001")
        try write(bytes, to: next)
        #expect(try next.commit() == .stored)
        #expect(try first.readSmallObject("dumps/d1/db.0001", limit: 8 << 20) == bytes)
        #expect(!FileManager.default.fileExists(atPath: root + "/second"))
        #expect(mirrored.secondFailures.map(\.key) == ["dumps/d1/db.0000"])
    }
}
