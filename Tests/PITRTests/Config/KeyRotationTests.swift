import Testing
@testable import PITRConfig
@testable import PITRPipeline
@testable import PITRSupport

/// `keygen --rotate` and `keygen --activate` on real files: what they write, what they keep, what they refuse.
@Suite struct KeyRotationTests {
    static let legacyKey = MasterKey(bytes: (0..<32).map { UInt8(($0 * 13 + 5) & 0xFF) })!

    func text(_ path: String) throws -> String { String(decoding: try FileSystem.readFile(path), as: UTF8.self) }

    func statuses(_ path: String) throws -> [String: Keyring.Status] {
        Dictionary(uniqueKeysWithValues: try KeyFile.read(at: path).entries.map { ($0.idHex, $0.status) })
    }

    func fileStatus(_ path: String) -> stat {
        var info = stat()
        lstat(path, &info)
        return info
    }

    @Test func rotateThenActivateAnOlderFile() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("tailtown.key", Base64.encode(Self.legacyKey.bytes) + "\n", mode: 0o640)
        let old = Self.legacyKey.keyIDHex
        let before = try SystemFile.openForReading(path)

        let pending = try KeyFile.rotate(at: path)
        #expect(pending != old && pending.count == 16)
        #expect(try statuses(path) == [old: .active, pending: .pending])
        // Pending decrypts but does not encrypt yet.
        #expect(try KeyFile.read(at: path).active.keyIDHex == old)
        #expect(folder.mode(of: "tailtown.key") == 0o640)
        let lines = try text(path).split(separator: "\n")
        #expect(lines.count == 3 && lines[0] == KeyFileText.heading && lines[1] == "active \(old) base64:\(Base64.encode(Self.legacyKey.bytes))")
        #expect(lines[2].hasPrefix("pending \(pending) base64:"))
        // Replaced by a rename, not written in place: the file opened before still holds the old key alone.
        var old_bytes = [UInt8](repeating: 0, count: 200)
        let count = try old_bytes.withUnsafeMutableBytes { try before.read(into: $0, at: 0) }
        #expect(String(decoding: old_bytes[..<count], as: UTF8.self) == Base64.encode(Self.legacyKey.bytes) + "\n")
        #expect(try FileSystem.list(folder.path) == ["tailtown.key"])

        try KeyFile.activate(pending.uppercased(), at: path)
        #expect(try statuses(path) == [old: .retired, pending: .active])
        #expect(try KeyFile.read(at: path).active.keyIDHex == pending)
        #expect(folder.mode(of: "tailtown.key") == 0o640)

        // The next rotation keeps every key and retires the active one on activation.
        let third = try KeyFile.rotate(at: path)
        try KeyFile.activate(third, at: path)
        #expect(try statuses(path) == [old: .retired, pending: .retired, third: .active])
        #expect(try FileSystem.list(folder.path) == ["tailtown.key"])
    }

    @Test func refusalsLeaveTheFileAsItWas() throws {
        let folder = ConfigTestFolder()
        let path = folder.path + "/keys"
        let first = try KeyFile.generate(at: path)
        let pending = try KeyFile.rotate(at: path)
        let written = try FileSystem.readFile(path)

        #expect(configError { try KeyFile.rotate(at: path) } == .pendingKeyExists(path: path, keyID: pending))
        #expect(configError { try KeyFile.activate(first, at: path) } == .notPendingKey(path: path, keyID: first, status: .active))
        #expect(configError { try KeyFile.activate("0123456789abcdef", at: path) } == .notPendingKey(path: path, keyID: "0123456789abcdef", status: nil))
        // A key typed where the id goes is never echoed.
        let typed = Base64.encode(Self.legacyKey.bytes)
        let echoed = configError { try KeyFile.activate(typed, at: path) }
        #expect(echoed?.description.contains("has no key with the id given") == true)
        #expect(echoed.map { !SecretExposureTests.leaks(typed, in: $0.description) } == true)
        #expect(try FileSystem.readFile(path) == written)

        try KeyFile.activate(pending, at: path)
        #expect(configError { try KeyFile.activate(first, at: path) } == .notPendingKey(path: path, keyID: first, status: .retired))
        #expect(configError { try KeyFile.activate(first, at: path) }?.description.contains("is retired: only a pending key is activated") == true)

        // A file others may read is not rewritten; a damaged one neither, and the message names the line.
        chmod(path, 0o644)
        #expect(configError { try KeyFile.rotate(at: path) } == .keyFile(path: path, problem: .access(.openToOthers(mode: 0o644))))
        let damaged = try folder.write("damaged", "active 0123456789abcdef base64:" + Base64.encode(Self.legacyKey.bytes) + "\n")
        #expect(configError { try KeyFile.rotate(at: damaged) }
                == .keyFile(path: damaged, problem: .line(1, .idMismatch(stated: "0123456789abcdef", actual: Self.legacyKey.keyIDHex))))
        #expect(configError { try KeyFile.rotate(at: folder.path + "/missing") }
                == .keyFile(path: folder.path + "/missing", problem: .unreadable(reason: "No such file or directory")))
    }

    @Test func aRewriteKeepsCommentsOwnerAndTheLinkItWasReachedThrough() throws {
        let folder = ConfigTestFolder()
        let target = folder.path + "/real.key"
        let first = try KeyFile.generate(at: target)
        let appended = try text(target) + "\n# kept: off-site copy in the safe\n"
        try folder.write("real.key", appended, mode: 0o600)
        let link = folder.path + "/link.key"
        symlink(target, link)
        let root = geteuid() == 0
        if root { chown(target, 65534, 65534) }

        let pending = try KeyFile.rotate(at: link)
        #expect(fileStatus(link).st_mode & S_IFMT == S_IFLNK)
        let rewritten = try text(target)
        #expect(rewritten.hasPrefix(appended) && rewritten.hasSuffix("\n") && rewritten.contains("\npending \(pending) base64:"))
        #expect(try statuses(link) == [first: .active, pending: .pending])
        let info = fileStatus(target)
        #expect(info.st_mode & 0o777 == 0o600)
        if root { #expect(info.st_uid == 65534 && info.st_gid == 65534) }
    }
}
