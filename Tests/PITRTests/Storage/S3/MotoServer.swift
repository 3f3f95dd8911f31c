import Foundation

/// A moto S3 server on loopback shared by the tests of this process, started on first use
/// on a free port. It runs in a Python process that exits when this test process does.
enum MotoServer {
    /// "http://127.0.0.1:PORT", or the reason moto could not start (the tests then fail).
    static let shared: Result<String, MotoStartError> = start()

    static func endpoint() throws -> String { try shared.get() }

    private static let watcher = """
    import os, socket, sys, time
    from moto.server import ThreadedMotoServer
    parent = os.getppid()
    probe = socket.socket(); probe.bind(('127.0.0.1', 0)); port = probe.getsockname()[1]; probe.close()
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=port, verbose=False)
    server.start()
    print(port, flush=True)
    while os.getppid() == parent:
        time.sleep(0.3)
    """

    private static func start() -> Result<String, MotoStartError> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", watcher]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return .failure(MotoStartError(reason: "\(error)")) }
        let line = output.fileHandleForReading.readLine()
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return .failure(MotoStartError(reason: "moto did not start (pip install 'moto[s3]' flask flask-cors); said: \(line)"))
        }
        return .success("http://127.0.0.1:\(port)")
    }

    /// A bucket name no other test uses.
    static func uniqueBucket(_ hint: String) -> String {
        "\(hint)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

struct MotoStartError: Error, CustomStringConvertible {
    let reason: String
    var description: String { "cannot start moto: \(reason)" }
}

extension FileHandle {
    /// Reads up to the first newline (or the end).
    func readLine() -> String {
        var bytes = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte.first == 10 { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
