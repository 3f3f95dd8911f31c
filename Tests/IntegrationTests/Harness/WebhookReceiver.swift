import Foundation

/// A one-shot HTTP receiver on 127.0.0.1 (Python's http.server): stores the body of the first POST
/// in a file and answers 200, as a Slack-style incoming webhook would.
final class WebhookReceiver {
    let url: String
    private let process = Process()
    private let bodyFile: String

    init(in sandbox: Sandbox) throws {
        bodyFile = sandbox.path("webhook-body.json")
        let script = """
            import http.server, sys
            class Hook(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers['Content-Length']))
                    open(sys.argv[1] + '.part', 'wb').write(body)
                    __import__('os').rename(sys.argv[1] + '.part', sys.argv[1])
                    self.send_response(200)
                    self.end_headers()
                def log_message(self, *args):
                    pass
            server = http.server.HTTPServer(('127.0.0.1', 0), Hook)
            print(server.server_port, flush=True)
            server.handle_request()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, bodyFile]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = Int(line) else { throw HarnessError.system("the webhook receiver did not start: '\(line)'") }
        url = "http://127.0.0.1:\(port)/services/T0/B0/token"
    }

    deinit { if process.isRunning { process.terminate() } }

    /// The JSON body posted, once it arrived.
    func body(seconds: Int = 20) throws -> [String: Any] {
        try waitUntil("the webhook to receive a POST", seconds: seconds) { FileManager.default.fileExists(atPath: self.bodyFile) }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bodyFile))) as? [String: Any] ?? [:]
    }
}
