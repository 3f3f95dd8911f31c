import Foundation

/// One of our Python test servers (Tests/TestSupport/*.py) in a process of its own: it prints its port on the first
/// line, then answers each command line on its stdin with one line; it exits when its stdin closes.
final class ScriptServer {
    /// The first line the script printed (its port).
    let port: String
    private let process: Process
    private let control: FileHandle
    private let replies: FileHandle

    /// Tests/TestSupport/`name`.
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(name).path
    }

    init(script: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        control = input.fileHandleForWriting
        replies = output.fileHandleForReading
        port = replies.readLine()
        guard Int(port) != nil else { throw MotoStartError(reason: "\(FileManager.default.displayName(atPath: script)) did not start: \(port)") }
    }

    deinit { stop() }

    func stop() {
        try? control.close()
        process.waitUntilExit()
    }

    /// Sends one command line and returns the line that answers it.
    @discardableResult
    func command(_ line: String) -> String {
        control.write(Data((line + "\n").utf8))
        return replies.readLine()
    }
}
