import Foundation
import PITR

/// The S3 side of the S3 integration tests: one moto server on loopback for the whole run,
/// the fault proxy (scripts/s3-fault-proxy.py), and a tailtown-pitr config for a bucket.
enum S3Services {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// "http://127.0.0.1:PORT" of a moto server that exits with this test process.
    static let moto: Result<String, HarnessError> = {
        let watcher = """
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", watcher]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return .failure(.system("cannot start moto: \(error)")) }
        let line = readLine(output.fileHandleForReading)
        guard let port = Int(line) else {
            return .failure(.system("moto did not start (pip install 'moto[s3]' flask flask-cors): \(line)"))
        }
        return .success("http://127.0.0.1:\(port)")
    }()

    static let credentials = AWSCredentials(accessKeyID: "AKIDINTEGRATION", secretAccessKey: "integration-secret-key")

    /// Creates a bucket on moto and returns a storage on `s3://bucket/prefix` for inspecting it.
    static func makeBucket(_ hint: String, prefix: String) throws -> S3Storage {
        let endpoint = try moto.get()
        let bucket = "\(hint)-\(UUID().uuidString.prefix(8).lowercased())"
        let client = try HTTPClient()
        let created = try client.perform(HTTPRequest(method: "PUT", url: "\(endpoint)/\(bucket)", headers: [
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDINTEGRATION/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"),
        ]))
        guard created.status == 200 else { throw HarnessError.system("cannot create bucket \(bucket) on moto: HTTP \(created.status)") }
        guard let parsed = S3Endpoint.parse(endpoint, style: .path) else { throw HarnessError.system("bad moto endpoint \(endpoint)") }
        return try S3Storage(configuration: S3Configuration(bucket: bucket, prefix: prefix, endpoint: parsed, credentials: credentials),
                             log: Log(level: .error))
    }

    /// A tailtown-pitr config file for `storage`'s bucket and prefix reached through `endpoint`
    /// (moto itself or a fault proxy in front of it).
    static func configure(in sandbox: Sandbox, storage: S3Storage, endpoint: String, compression: String, encrypted: Bool,
                          extra: [String] = []) throws -> Tailtown {
        var lines = [
            "# tailtown-pitr settings for one S3 integration test",
            "TAILTOWN_REPO=s3://\(storage.configuration.bucket)/\(storage.configuration.prefix)",
            "TAILTOWN_COMPRESSION=\(compression)",
            "AWS_ENDPOINT_URL=\(endpoint)",
            "AWS_ACCESS_KEY_ID=\(credentials.accessKeyID)",
            "AWS_SECRET_ACCESS_KEY=integration-secret-key",
            "AWS_REGION=eu-west-1",
        ] + extra
        if encrypted {
            let key = sandbox.path("tailtown.key")
            try sandbox.tailtown(["keygen", key]).check()
            lines.append("TAILTOWN_ENCRYPTION_KEY_FILE=\(key)")
        }
        let config = try sandbox.writeFile("tailtown-pitr-s3-\(UUID().uuidString.prefix(8)).conf", lines.joined(separator: "\n") + "\n")
        // The file repository of the harness is not used by S3 tests.
        return Tailtown(sandbox: sandbox, configFile: config, repository: Repository(root: sandbox.path("unused")))
    }

    /// The segment objects of the archive, by name.
    static func segmentNames(_ storage: S3Storage) throws -> [String] {
        try storage.list(prefix: "wal/").map { String($0.split(separator: "/").last ?? "") }.filter { $0.count == 24 }.sorted()
    }

    /// The bucket's multipart uploads in progress.
    static func pendingUploads(_ storage: S3Storage) throws -> Int {
        let client = try HTTPClient()
        var body: [UInt8] = []
        _ = try client.perform(HTTPRequest(method: "GET", url: "\(try moto.get())/\(storage.configuration.bucket)?uploads", headers: [
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDINTEGRATION/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"),
        ])) { body += $0 }
        return String(decoding: body, as: UTF8.self).components(separatedBy: "<Upload>").count - 1
    }

    static func readLine(_ handle: FileHandle) -> String {
        var bytes = Data()
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 10 { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
}

/// scripts/s3-fault-proxy.py in front of moto, injecting faults at a rate.
final class S3FaultProxy {
    let endpoint: String
    private let process = Process()
    private let control: FileHandle
    private let replies: FileHandle

    init(rate: Double) throws {
        let upstream = try S3Services.moto.get().replacingOccurrences(of: "http://", with: "").split(separator: ":")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", S3Services.packageRoot.appendingPathComponent("scripts/s3-fault-proxy.py").path,
                             String(upstream[0]), String(upstream[1]), "3", "\(Int.random(in: 1...1_000_000))"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        control = input.fileHandleForWriting
        replies = output.fileHandleForReading
        let port = S3Services.readLine(replies)
        guard Int(port) != nil else { throw HarnessError.system("the fault proxy did not start: \(port)") }
        endpoint = "http://127.0.0.1:\(port)"
        setRate(rate)
    }

    deinit { stop() }

    func setRate(_ rate: Double) {
        control.write(Data("rate \(rate)\n".utf8))
        _ = S3Services.readLine(replies)
    }

    /// How many requests passed and how many got a fault, since the last call.
    func counts() throws -> (requests: Int, faults: Int) {
        control.write(Data("log\n".utf8))
        let entries = try JSONSerialization.jsonObject(with: Data(S3Services.readLine(replies).utf8)) as? [[String: Any]] ?? []
        return (entries.count, entries.filter { $0["fault"] as? String != "pass" }.count)
    }

    func stop() {
        try? control.close()
        process.waitUntilExit()
    }
}
