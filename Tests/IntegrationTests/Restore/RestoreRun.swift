import Foundation
import Testing
@testable import PITRRestore

/// `tailtown-pitr restore` run as postgres against a repository, each into its own directory, started (`--pg-bin`)
/// with `major`'s programs, which also read and stop the copies.
struct RestoreRun {
    let sandbox: Sandbox
    let tailtown: Tailtown
    var major = PostgreSQL.defaultMajor

    init(sandbox: Sandbox, tailtown: Tailtown, major: Int = PostgreSQL.defaultMajor) {
        self.sandbox = sandbox
        self.tailtown = tailtown
        self.major = major
    }

    init(source: RestoreSource) {
        self.init(sandbox: source.sandbox, tailtown: source.tailtown, major: source.cluster.major)
    }

    /// Runs `restore <arguments> --target-dir <sandbox>/<directory> --port <free> --pg-bin <bin>`; returns the result and the copy.
    func run(_ arguments: [String], into directory: String) throws -> (CommandResult, RestoredCopy) {
        let target = sandbox.path(directory)
        let port = try sandbox.freePort()
        let bin = try PostgreSQL.binDirectory(major: major)
        let result = try sandbox.tailtown(
            ["--config", tailtown.configFile, "restore", "--target-dir", target, "--port", String(port), "--pg-bin", bin] + arguments)
        return (result, RestoredCopy(sandbox: sandbox, directory: target, port: port, major: major))
    }

    /// Restores to `arguments` with `--start`, checks the rows it holds, and stops the copy unless `keep`.
    @discardableResult
    func expectRows(_ arguments: [String], into directory: String, _ expected: [Int], keep: Bool = false,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> RestoredCopy {
        let (result, copy) = try run(arguments + ["--start"], into: directory)
        #expect(result.status == 0, "restore \(arguments) exited \(result.status):\n\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
        guard result.status == 0 else { return copy }
        print("restore \(arguments.joined(separator: " ")): " + result.stdout.split(separator: "\n").filter { $0.hasPrefix("phases") || $0.hasPrefix("recovery:") }.joined(separator: "; "))
        #expect(try copy.ids() == expected, "restore \(arguments)", sourceLocation: sourceLocation)
        if !keep { copy.stop() }
        return copy
    }

    /// Runs a restore that must fail before writing anything: exit 1, `message` in stderr, no target directory.
    func expectRefusal(_ arguments: [String], into directory: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (result, copy) = try run(arguments, into: directory)
        #expect(result.status == 1, "restore \(arguments) exited \(result.status)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "restore \(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: copy.directory), "restore \(arguments) created \(copy.directory)", sourceLocation: sourceLocation)
    }
}
