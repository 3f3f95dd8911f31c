import Foundation
import Testing
@testable import PITRNative
@testable import PITRStorage

/// The S3 mode against botocore's own S3SigV4Auth (the installed botocore, an independent
/// implementation): same requests, same clock, the Authorization headers must be equal.
@Suite("SigV4 S3 mode against botocore")
struct SigV4BotocoreTests {
    struct S3Case: Codable {
        var method: String
        var bucket: String
        var key: String
        var query: [[String]] = []
        var headers: [[String]] = []
        var body: String = ""
        var unsigned = false
        var token: String?
    }

    struct Reference: Codable {
        var path: String
        var authorization: String
        var contentSHA256: String
    }

    static let cases: [S3Case] = [
        S3Case(method: "GET", bucket: "tailtown", key: "wal/15-7312/0000000100000000/000000010000000000000001"),
        S3Case(method: "GET", bucket: "tailtown", key: "prefix with spaces/a b", headers: [["Range", "bytes=-8192"]]),
        S3Case(method: "PUT", bucket: "tailtown", key: "plus+equals=at@/x", headers: [["Content-Type", "application/octet-stream"], ["If-None-Match", "*"]], body: "hello world"),
        S3Case(method: "PUT", bucket: "tailtown", key: "ünïcödé/ሴ/日本語", headers: [["Content-Type", "application/octet-stream"]], body: "x"),
        S3Case(method: "HEAD", bucket: "tailtown", key: "a//double/./dot/../segments"),
        S3Case(method: "GET", bucket: "tailtown", key: "", query: [["list-type", "2"], ["prefix", "wal/15-1/"], ["continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="]]),
        S3Case(method: "GET", bucket: "tailtown", key: "", query: [["list-type", "2"], ["prefix", "a b+c=d@é/"], ["max-keys", "1000"]]),
        S3Case(method: "POST", bucket: "tailtown", key: "big object", query: [["uploads", ""]], headers: [["Content-Type", "application/octet-stream"], ["x-amz-storage-class", "STANDARD_IA"]]),
        S3Case(method: "PUT", bucket: "tailtown", key: "big object", query: [["partNumber", "2"], ["uploadId", "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"]], headers: [["Content-Type", "application/octet-stream"]], body: "part two"),
        S3Case(method: "POST", bucket: "tailtown", key: "", query: [["delete", ""]], headers: [["Content-Type", "application/xml"], ["Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="]], body: "<Delete><Quiet>true</Quiet></Delete>"),
        S3Case(method: "DELETE", bucket: "tailtown", key: "~tilde_under-score.dot", token: "FQoGZXIvYXdzEXAMPLE//////////wEaDM+/token=="),
        // Temporary credentials (STS, container, instance metadata): X-Amz-Security-Token is sent and signed.
        S3Case(method: "PUT", bucket: "tailtown", key: "wal/15-7312/0000000100000000/000000010000000000000002",
               headers: [["Content-Type", "application/octet-stream"], ["If-None-Match", "*"]], body: "segment",
               token: "IQoJb3JpZ2luX2VjEOv//////////wEaCWV1LXdlc3QtMSJHMEUCIQD+sts/token+with/slashes=="),
        S3Case(method: "GET", bucket: "tailtown", key: "", query: [["list-type", "2"], ["prefix", "wal/"]], token: "FwoGZXIvYXdzEEK token with spaces"),
        S3Case(method: "PUT", bucket: "tailtown", key: "streamed", headers: [["Content-Type", "application/octet-stream"], ["Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="]], body: "hello world", unsigned: true),
        S3Case(method: "PUT", bucket: "tailtown", key: "sse", headers: [["Content-Type", "application/octet-stream"], ["x-amz-server-side-encryption", "aws:kms"], ["x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:eu-west-1:111122223333:key/abc"], ["x-amz-meta-tailtown-digest", "  spaced   value  "]], body: ""),
    ]

    static let referenceScript = """
    import json, sys, datetime
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.utils import percent_encode
    botocore.auth.get_current_datetime = lambda: datetime.datetime(2026, 11, 27, 1, 2, 3)
    out = []
    for case in json.load(sys.stdin):
        path = '/' + case['bucket'] + '/' + percent_encode(case['key'], safe='/~')
        host = 's3.eu-west-1.amazonaws.com'
        request = AWSRequest(method=case['method'], url='https://' + host + path, data=case['body'].encode('utf-8'))
        request.headers['Host'] = host
        for name, value in case['headers']:
            request.headers[name] = value
        request.params = [tuple(pair) for pair in case['query']]
        if case['unsigned']:
            request.context['client_config'] = Config(s3={'payload_signing_enabled': False})
            request.context['has_streaming_input'] = True
        credentials = Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', case.get('token'))
        botocore.auth.S3SigV4Auth(credentials, 's3', 'eu-west-1').add_auth(request)
        out.append({'path': path, 'authorization': request.headers['Authorization'],
                    'contentSHA256': request.headers['X-Amz-Content-SHA256']})
    json.dump(out, sys.stdout)
    """

    @Test("S3 mode signs like botocore's S3SigV4Auth, awkward keys included")
    func matchesBotocore() throws {
        let output = try PythonTool.run(Self.referenceScript, input: try JSONEncoder().encode(Self.cases))
        let references = try JSONDecoder().decode([Reference].self, from: output)
        try #require(references.count == Self.cases.count)
        for (testCase, reference) in zip(Self.cases, references) {
            let path = "/\(testCase.bucket)/" + URIEncoding.encode(testCase.key, keepSlash: true)
            #expect(path == reference.path, "path of \(testCase.key)")
            let signer = SigV4Signer(
                credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: testCase.token),
                region: "eu-west-1")
            var request = SigV4Signer.Request(
                method: testCase.method, path: path, query: testCase.query.map { ($0[0], $0[1]) },
                headers: [("Host", "s3.eu-west-1.amazonaws.com")] + testCase.headers.map { ($0[0], $0[1]) })
            let payloadHash = testCase.unsigned ? SigV4Signer.unsignedPayload : try SHA256Hasher.digest(Array(testCase.body.utf8)).lowercaseHex
            #expect(payloadHash == reference.contentSHA256, "payload hash of \(testCase.method) \(testCase.key)")
            try signer.sign(&request, payloadHash: payloadHash, at: AWSTimestamp(amzDate: "20261127T010203Z"))
            let authorization = request.headers.first { $0.name == "Authorization" }?.value
            #expect(authorization == reference.authorization, "\(testCase.method) \(testCase.key) \(testCase.query)")
            #expect(request.headers.first { $0.name == "X-Amz-Security-Token" }?.value == testCase.token, "token of \(testCase.method) \(testCase.key)")
            #expect(authorization?.contains("x-amz-security-token") == (testCase.token != nil), "token signed in \(testCase.method) \(testCase.key)")
        }
    }
}
