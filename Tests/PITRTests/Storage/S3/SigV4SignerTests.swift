import Foundation
import Testing
@testable import PITRNative
@testable import PITRStorage

@Suite("SigV4 signer")
struct SigV4SignerTests {
    static let timestamp = AWSTimestamp(amzDate: "20150830T123600Z")

    /// A raw request of the suite: "METHOD PATH HTTP/1.1", headers (folded lines continue
    /// the previous one), a blank line, the body.
    struct RawRequest {
        var method = ""
        var path = ""
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body = ""

        init(_ text: String) {
            var lines = text.components(separatedBy: "\n")
            let requestLine = lines.removeFirst()
            let space = requestLine.firstIndex(of: " ")!
            method = String(requestLine[..<space])
            let target = requestLine[requestLine.index(after: space)..<requestLine.range(of: " HTTP/", options: .backwards)!.lowerBound]
            let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            path = String(parts[0])
            if parts.count > 1 {
                query = parts[1].split(separator: "&").map { pair in
                    let fields = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    return (URIEncoding.decode(String(fields[0])), fields.count > 1 ? URIEncoding.decode(String(fields[1])) : "")
                }
            }
            while !lines.isEmpty {
                let line = lines.removeFirst()
                if line.isEmpty {
                    body = lines.joined(separator: "\n")
                    break
                }
                if line.first == " " || line.first == "\t", !headers.isEmpty {
                    headers[headers.count - 1].value += "\n" + line
                } else if let colon = line.firstIndex(of: ":") {
                    headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
                }
            }
        }
    }

    @Test("generic mode matches AWS's published test suite")
    func awsTestSuite() throws {
        let cases = try AWSTestSuite.cases.get()
        for testCase in cases {
            let raw = RawRequest(testCase.request)
            let token = testCase.canonicalRequest.components(separatedBy: "\n")
                .first { $0.hasPrefix("x-amz-security-token:") }
                .map { String($0.dropFirst("x-amz-security-token:".count)) }
            let signer = SigV4Signer(
                credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: token),
                region: "us-east-1", service: "service", mode: .generic)
            var request = SigV4Signer.Request(method: raw.method, path: raw.path, query: raw.query, headers: raw.headers)
            let payloadHash = try SHA256Hasher.digest(Array(raw.body.utf8)).lowercaseHex
            try signer.sign(&request, payloadHash: payloadHash, at: Self.timestamp)
            var signed = request
            signed.headers.removeAll { $0.name == "Authorization" }
            let canonical = signer.canonicalRequest(signed, payloadHash: payloadHash).text
            #expect(canonical == testCase.canonicalRequest, "\(testCase.name): canonical request")
            #expect(try signer.stringToSign(canonicalRequest: canonical, at: Self.timestamp) == testCase.stringToSign, "\(testCase.name): string to sign")
            let authorization = request.headers.first { $0.name == "Authorization" }?.value
            #expect(authorization == testCase.authorization, "\(testCase.name): Authorization")
        }
        print("AWS SigV4 test suite: \(cases.count) cases checked")
    }

    @Test func encodingFollowsS3Rules() {
        #expect(URIEncoding.encode("a b+c=d@e/ü~_-.", keepSlash: true) == "a%20b%2Bc%3Dd%40e/%C3%BC~_-.")
        #expect(URIEncoding.encode("a/b", keepSlash: false) == "a%2Fb")
        #expect(URIEncoding.decode("a%20b+%2f%zz") == "a b+/%zz")
    }

    @Test func s3ModeKeepsPathsAsSent() {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "A", secretAccessKey: "S"), region: "us-east-1")
        #expect(signer.canonicalURI("/bucket/a//b/./c") == "/bucket/a//b/./c")
        let generic = SigV4Signer(credentials: AWSCredentials(accessKeyID: "A", secretAccessKey: "S"), region: "us-east-1", service: "service", mode: .generic)
        #expect(generic.canonicalURI("/a//b/./c/../d%20") == "/a/b/d%2520")
    }

    @Test func credentialsNeverShowSecrets() {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "very-secret", sessionToken: "token-secret")
        let shown = "\(credentials)"
        #expect(shown.contains("AKIDEXAMPLE"))
        #expect(!shown.contains("very-secret"))
        #expect(!shown.contains("token-secret"))
    }
}
