import Foundation

/// Runs a Python snippet with `input` on standard input and returns its standard output;
/// throws with standard error when it fails, so a missing module fails the test loudly.
enum PythonTool {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(_ script: String, arguments: [String] = [], input: Data = Data()) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "python3 failed (\(process.terminationStatus)): \(String(decoding: errors, as: UTF8.self))")
        }
        return output
    }
}
