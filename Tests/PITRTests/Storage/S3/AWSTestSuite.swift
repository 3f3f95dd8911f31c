import Foundation

/// AWS's published SigV4 test suite, taken at test time from the botocore source
/// distribution on PyPI (same version as the installed botocore) and never committed.
/// A failed download throws: the suite must not pass by testing nothing.
enum AWSTestSuite {
    struct Case {
        let name: String
        let request: String
        let canonicalRequest: String
        let stringToSign: String
        let authorization: String
    }

    static let cases: Result<[Case], PythonTool.Failure> = load()

    private static func load() -> Result<[Case], PythonTool.Failure> {
        do {
            let version = String(decoding: try PythonTool.run("import botocore; print(botocore.__version__)"), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let cache = FileManager.default.temporaryDirectory.appendingPathComponent("tailtown-pitr-aws4-testsuite-\(version)")
            let suite = cache.appendingPathComponent("aws4_testsuite")
            if !FileManager.default.fileExists(atPath: suite.path) {
                try fetch(version: version, into: cache)
            }
            return .success(try read(suite))
        } catch let failure as PythonTool.Failure {
            return .failure(failure)
        } catch {
            return .failure(PythonTool.Failure(description: "cannot read the AWS SigV4 test suite: \(error)"))
        }
    }

    private static func fetch(version: String, into cache: URL) throws {
        let script = """
        import subprocess, sys, tarfile, tempfile, os, shutil
        version, target = sys.argv[1], sys.argv[2]
        with tempfile.TemporaryDirectory() as work:
            subprocess.run([sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps', '--no-binary', ':all:',
                            'botocore==' + version, '-d', work], check=True)
            archive = [f for f in os.listdir(work) if f.endswith('.tar.gz')][0]
            marker = '/tests/unit/auth/aws4_testsuite/'
            staging = target + '.partial'
            shutil.rmtree(staging, ignore_errors=True)
            with tarfile.open(os.path.join(work, archive)) as tar:
                for member in tar.getmembers():
                    if marker in member.name and member.isfile():
                        relative = member.name.split(marker, 1)[1]
                        path = os.path.join(staging, 'aws4_testsuite', relative)
                        os.makedirs(os.path.dirname(path), exist_ok=True)
                        with open(path, 'wb') as out:
                            out.write(tar.extractfile(member).read())
            if not os.path.isdir(os.path.join(staging, 'aws4_testsuite')):
                sys.exit('no aws4_testsuite in ' + archive)
            shutil.rmtree(target, ignore_errors=True)
            os.rename(staging, target)
        """
        _ = try PythonTool.run(script, arguments: [version, cache.path])
    }

    private static func read(_ suite: URL) throws -> [Case] {
        var cases: [Case] = []
        let enumerator = FileManager.default.enumerator(at: suite, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "req" else { continue }
            let base = url.deletingPathExtension()
            func text(_ ext: String) throws -> String {
                try String(contentsOf: base.appendingPathExtension(ext), encoding: .utf8).replacingOccurrences(of: "\r", with: "")
            }
            cases.append(Case(name: String(base.path.dropFirst(suite.path.count + 1)), request: try text("req"),
                              canonicalRequest: try text("creq"), stringToSign: try text("sts"), authorization: try text("authz")))
        }
        guard cases.count > 20 else {
            throw PythonTool.Failure(description: "only \(cases.count) cases found in \(suite.path)")
        }
        return cases.sorted { $0.name < $1.name }
    }
}
