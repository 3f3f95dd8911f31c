import Foundation
import Testing

/// `tailtown-pitr restore` run as postgres against a source's repository, each into its own directory, started
/// (`--pg-bin`) with the programs of the source's major.
struct RestoreRun {
    let source: RestoreSource

    /// Runs `restore <arguments> --target-dir <sandbox>/<directory> --port <free> --pg-bin <bin>`; returns the result and the copy.
    func run(_ arguments: [String], into directory: String) throws -> (CommandResult, RestoredCopy) {
        let target = source.sandbox.path(directory)
        let port = try source.sandbox.freePort()
        let major = source.cluster.major
        let bin = try PostgreSQL.binDirectory(major: major)
        let result = try source.sandbox.tailtown(
            ["--config", source.tailtown.configFile, "restore", "--target-dir", target, "--port", String(port), "--pg-bin", bin] + arguments)
        return (result, RestoredCopy(sandbox: source.sandbox, directory: target, port: port, major: major))
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
