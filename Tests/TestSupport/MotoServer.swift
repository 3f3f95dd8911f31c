import Foundation
import PITRNative

/// A moto S3 server on loopback shared by the tests of this process, started on first use
/// on a free port. It runs in a Python process that exits when this test process does.
/// moto checks no signatures: the few requests made here beside the driver carry a placeholder.
public enum MotoServer {
    /// "http://127.0.0.1:PORT", or the reason moto could not start (the tests then fail).
    public static let shared: Result<String, MotoStartError> = start()

    public static func endpoint() throws -> String { try shared.get() }

    /// The Authorization header moto's parser wants; it verifies nothing.
    public static let authorization = authorization(service: "s3")

    /// The same for another service: moto picks the service and region from the credential scope.
    public static func authorization(service: String) -> (String, String) {
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/\(service)/aws4_request, SignedHeaders=host, Signature=0")
    }

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
        guard let port = Int(line) else {
            return .failure(MotoStartError(reason: "moto did not start (pip install 'moto[s3]' flask flask-cors); said: \(line)"))
        }
        return .success("http://127.0.0.1:\(port)")
    }

    /// A bucket name no other test uses.
    public static func uniqueBucket(_ hint: String) -> String {
        "\(hint)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// `objectLock` makes it with Object Lock enabled (and so versioned), as `aws s3api create-bucket --object-lock-enabled-for-bucket`.
    public static func createBucket(_ bucket: String, objectLock: Bool = false) throws {
        let headers = [authorization] + (objectLock ? [("x-amz-bucket-object-lock-enabled", "true")] : [])
        let response = try HTTPClient().perform(HTTPRequest(method: "PUT", url: "\(try endpoint())/\(bucket)", headers: headers))
        guard response.status == 200 else { throw MotoStartError(reason: "cannot create bucket \(bucket): HTTP \(response.status)") }
    }

    /// Creates a symmetric KMS key (CreateKey) and returns its ARN.
    public static func createKMSKey() throws -> String {
        var body: [UInt8] = []
        let request = HTTPRequest(method: "POST", url: "\(try endpoint())/", headers: [
            authorization(service: "kms"), ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "TrentService.CreateKey"),
        ])
        let response = try Array("{}".utf8).withUnsafeBytes { try HTTPClient().perform(request, body: $0) { body += $1 } }
        let text = String(decoding: body, as: UTF8.self)
        guard response.status == 200, let start = text.range(of: "\"Arn\": \"") ?? text.range(of: "\"Arn\":\""),
              let end = text[start.upperBound...].firstIndex(of: "\"") else {
            throw MotoStartError(reason: "cannot create a KMS key: HTTP \(response.status) \(text.prefix(200))")
        }
        return String(text[start.upperBound..<end])
    }

    /// Moves `key` (bucket-relative) of `bucket` into `storageClass` ("GLACIER", "DEEP_ARCHIVE") by a CopyObject onto itself,
    /// as a lifecycle transition would; moto then refuses a GET of it (InvalidObjectState) until a RestoreObject.
    public static func setStorageClass(bucket: String, key: String, _ storageClass: String) throws {
        let request = HTTPRequest(method: "PUT", url: "\(try endpoint())/\(bucket)/\(key)", headers: [
            authorization, ("x-amz-copy-source", "/\(bucket)/\(key)"), ("x-amz-storage-class", storageClass),
            ("x-amz-metadata-directive", "COPY"),
        ])
        let response = try HTTPClient().perform(request)
        guard response.status == 200 else { throw MotoStartError(reason: "cannot move \(key) of \(bucket) into \(storageClass): HTTP \(response.status)") }
    }

    /// The object keys (bucket-relative) of the multipart uploads in progress in `bucket` under
    /// `prefix` (ListMultipartUploads): listings never show them.
    public static func pendingUploadKeys(bucket: String, prefix: String = "") throws -> [String] {
        var body: [UInt8] = []
        let url = "\(try endpoint())/\(bucket)?uploads" + (prefix.isEmpty ? "" : "&prefix=\(prefix)")
        let response = try HTTPClient().perform(HTTPRequest(method: "GET", url: url, headers: [authorization])) { body += $1 }
        guard response.status == 200 else { throw MotoStartError(reason: "ListMultipartUploads on \(bucket): HTTP \(response.status)") }
        return String(decoding: body, as: UTF8.self).components(separatedBy: "<Upload>").dropFirst().compactMap { upload in
            guard let start = upload.range(of: "<Key>"), let end = upload.range(of: "</Key>") else { return nil }
            return String(upload[start.upperBound..<end.lowerBound])
        }
    }
}

public struct MotoStartError: Error, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "cannot start moto: \(reason)" }
}

extension FileHandle {
    /// Reads up to the first newline (or the end), without surrounding white space.
    public func readLine() -> String {
        var bytes = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte.first == 10 { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
