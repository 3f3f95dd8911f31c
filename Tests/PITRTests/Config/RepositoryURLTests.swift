import Testing
@testable import PITRConfig

@Suite struct RepositoryURLTests {
    @Test(arguments: [
        ("file:///srv/pitr", RepositoryURL.file(path: "/srv/pitr")),
        ("file:///srv/pitr/", .file(path: "/srv/pitr")),
        ("file:///srv//pitr///", .file(path: "/srv/pitr")),
        ("FILE:///srv/pitr", .file(path: "/srv/pitr")),
        ("file:////", .file(path: "/")),
        ("s3://my-bucket", .s3(bucket: "my-bucket", prefix: "")),
        ("s3://my-bucket/", .s3(bucket: "my-bucket", prefix: "")),
        ("s3://my.bucket-1/a/b/", .s3(bucket: "my.bucket-1", prefix: "a/b")),
        ("s3://abc//a//b", .s3(bucket: "abc", prefix: "a/b")),
    ])
    func parses(_ text: String, _ expected: RepositoryURL) throws {
        #expect(try RepositoryURL.parse(text).get() == expected)
    }

    @Test(arguments: [
        ("/srv/pitr", RepositoryURLProblem.barePath),
        ("srv/pitr", .notAURL),
        ("file:/srv/pitr", .notAURL),
        ("file://srv/pitr", .fileHost),
        ("file://localhost/srv/pitr", .fileHost),
        ("file://./pitr", .relativePath),
        ("file://", .relativePath),
        ("http://host/x", .unknownScheme),
        ("s3://", .badBucket),
        ("s3:///prefix", .badBucket),
        ("s3://ab", .badBucket),
        ("s3://My-Bucket/x", .badBucket),
        ("s3://bucket_name", .badBucket),
        ("s3://-bucket", .badBucket),
    ])
    func rejects(_ text: String, _ problem: RepositoryURLProblem) {
        #expect(throws: problem) { try RepositoryURL.parse(text).get() }
    }

    @Test func describesItselfNormalised() {
        #expect(RepositoryURL.file(path: "/srv/pitr").description == "file:///srv/pitr")
        #expect(RepositoryURL.s3(bucket: "b12", prefix: "").description == "s3://b12")
        #expect(RepositoryURL.s3(bucket: "b12", prefix: "a/b").description == "s3://b12/a/b")
    }

    @Test func settingsNameTheSettingAndItsOrigin() throws {
        let folder = ConfigTestFolder()
        let fallback = try folder.write("default.conf", "\n\nTAILTOWN_REPO=file://srv/pitr\n")
        let error = configError { try Settings.load(flags: [:], environment: [:], defaultFile: fallback).repository() }
        #expect(error?.description
            == "TAILTOWN_REPO='file://srv/pitr' (from \(fallback) line 3) names a host, which file:// URLs cannot: use file:///absolute/path (three slashes)")
    }

    @Test func aMissingRepositorySaysWhereToSetIt() throws {
        let folder = ConfigTestFolder()
        let settings = try Settings.load(flags: [:], environment: [:], defaultFile: folder.absentDefault)
        #expect(configError { try settings.repository() }?.description
            == "TAILTOWN_REPO is not set: set it in the environment, in the config file (--config FILE or TAILTOWN_CONFIG) or \(folder.absentDefault), or pass --repo")
        // The report still works without it.
        #expect(settings.report().contains { $0.hasPrefix("TAILTOWN_REPO ") && $0.hasSuffix("(unset)") })
    }
}
