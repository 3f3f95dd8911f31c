import Foundation
import Testing
@testable import PITRNative
@testable import PITRSupport

/// The user keyring of this machine's kernel: what is stored is read back by description, is
/// readable by this uid only, and is gone after its timeout.
@Suite struct KernelKeyringTests {
    private func uniqueDescription() -> String { "tailtown-pitr-test:\(UUID().uuidString)" }

    @Test func storesReadsReplacesAndRemoves() throws {
        let description = uniqueDescription()
        defer { KernelKeyring.remove(description: description) }
        #expect(try KernelKeyring.load(description: description) == nil)
        try KernelKeyring.store(Array(repeating: 7, count: 32), description: description, seconds: 60)
        #expect(try KernelKeyring.load(description: description) == Array(repeating: 7, count: 32))
        try KernelKeyring.store(Array(repeating: 9, count: 32), description: description, seconds: 60)
        #expect(try KernelKeyring.load(description: description) == Array(repeating: 9, count: 32))
        KernelKeyring.remove(description: description)
        #expect(try KernelKeyring.load(description: description) == nil)
    }

    @Test func onlyTheOwnerMayUseTheKeyAndItExpires() throws {
        let description = uniqueDescription()
        defer { KernelKeyring.remove(description: description) }
        try KernelKeyring.store([1, 2, 3], description: description, seconds: 1)
        // /proc/keys: "ID FLAGS USAGE TIMEOUT PERM UID GID TYPE DESCRIPTION"; group and others have no right.
        let keys = try String(contentsOfFile: "/proc/keys", encoding: .utf8)
        let line = try #require(keys.split(separator: "\n").first { $0.hasSuffix(description + ": 3") })
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        // Possessor: everything; user: view, read, write, search, setattr; group and others: nothing.
        #expect(fields[4] == "3f2f0000")
        #expect(fields[3] == "1s")
        usleep(1_500_000)
        #expect(try KernelKeyring.load(description: description) == nil)
    }
}
