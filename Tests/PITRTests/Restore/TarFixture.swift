import Foundation
@testable import PITRRestore
@testable import PITRRetention

/// Builds tar streams the way PostgreSQL's src/port/tar.c writes them (ustar, names up to 99
/// bytes, '/' after directory and symlink names), plus entries PostgreSQL never writes, for the extractor's tests.
struct TarFixture {
    private(set) var bytes: [UInt8] = []

    mutating func directory(_ name: String, mode: Int = 0o700) {
        append(header(name + "/", mode: mode, size: 0, type: "5"))
    }

    mutating func file(_ name: String, _ contents: [UInt8], mode: Int = 0o600, base256Size: Bool = false) {
        append(header(name, mode: mode, size: contents.count, type: "0", base256Size: base256Size))
        append(contents)
        append([UInt8](repeating: 0, count: (512 - contents.count % 512) % 512))
    }

    mutating func symlink(_ name: String, to target: String) {
        append(header(name + "/", mode: 0o777, size: 0, type: "2", link: target))
    }

    mutating func raw(type: Character, name: String) {
        append(header(name, mode: 0o600, size: 0, type: type))
    }

    /// The two zero blocks that end an archive.
    mutating func end() {
        append([UInt8](repeating: 0, count: 1024))
    }

    mutating func append(_ more: [UInt8]) { bytes += more }

    func header(_ name: String, mode: Int, size: Int, type: Character, link: String = "", base256Size: Bool = false) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits + " "
        }
        put(name, at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(26, width: 8), at: 108)
        put(octal(26, width: 8), at: 116)
        if base256Size {
            block[124] = 0x80
            var value = size
            for index in stride(from: 135, to: 124, by: -1) {
                block[index] = UInt8(value & 0xff)
                value >>= 8
            }
        } else {
            put(octal(size, width: 12), at: 124)
        }
        put(octal(1_700_000_000, width: 12), at: 136)
        block[156] = UInt8(ascii: type.unicodeScalars.first!)
        put(link, at: 157)
        put("ustar", at: 257)
        put("00", at: 263)
        put("postgres", at: 265)
        put("postgres", at: 297)
        put("        ", at: 148)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148)
        block[155] = 0x20
        return block
    }
}

/// A temporary folder for restore tests, removed with everything in it.
final class RestoreTestFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tailtown-restore-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func contents(_ relative: String) throws -> String {
        try String(contentsOfFile: path + "/" + relative, encoding: .utf8)
    }

    func mode(_ relative: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path + "/" + relative)
        return ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
    }

    /// The whole st_mode, setuid, setgid and sticky bits included.
    func rawMode(_ relative: String) throws -> Int {
        var info = stat()
        guard lstat(path + "/" + relative, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return Int(info.st_mode & 0o7777)
    }

    func owner(_ relative: String) throws -> String {
        try FileManager.default.attributesOfItem(atPath: path + "/" + relative)[.ownerAccountName] as? String ?? ""
    }

    /// Every entry below the folder, relative, sorted.
    func listing() -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }
}

extension TarExtractor {
    /// Feeds `bytes` in pieces of `step` bytes, as the decoder's blocks would arrive, then finishes.
    func extract(_ bytes: [UInt8], step: Int) throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + step, bytes.count)
            try bytes[offset..<end].withUnsafeBytes { try write($0) }
            offset = end
        }
        try finish()
    }
}
