import Testing
@testable import PITRRepository
@testable import PITRStorage
import PITRSupport

/// `RecordSeries.append` against real contention on a file:// repository: another writer commits the name this one
/// is about to take, just before it does.
@Suite struct RecordSeriesTests {
    let root = "/tmp/tailtown-record-series-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let series = RecordSeries(folder: "records/", kinds: ["outcome"], legacy: "records.last")

    /// Commits `bytes` under `key` without replacing, as a writer of the series does.
    func write(_ key: String, _ bytes: [UInt8], on storage: Storage) throws -> CommitOutcome {
        let upload = try storage.startUpload(key)
        try bytes.withUnsafeBytes { try upload.write($0) }
        return try upload.commit()
    }

    @Test func aNameTakenFirstIsRetriedUnderTheNext() throws {
        defer { _ = system("rm -rf '\(root)'") }
        let storage = FileStorage(root: root)
        var lost = 0
        let key = try series.append("outcome", on: storage) { key in
            if lost < 2 {
                lost += 1
                #expect(try write(key, [2], on: storage) == .stored)  // the other writer, first
            }
            return try write(key, [1], on: storage)
        }
        #expect(key == "records/outcome.00000003")
        #expect(try storage.list(prefix: "records/") == ["records/outcome.00000001", "records/outcome.00000002", "records/outcome.00000003"])
        #expect(try storage.readSmallObject(key) == [1])
    }

    @Test func aWriterThatAlwaysLosesStopsNamingTheSeries() throws {
        defer { _ = system("rm -rf '\(root)'") }
        let storage = FileStorage(root: root)
        let error = #expect(throws: RecordSeriesError.self) {
            try series.append("outcome", on: storage) { key in
                _ = try write(key, [2], on: storage)
                return try write(key, [1], on: storage)
            }
        }
        #expect(error == .contended(series: storage.describe("records/outcome.*"), attempts: RecordSeries.attempts))
        #expect(error?.description.hasPrefix("cannot write the next record of \(storage.describe("records/outcome.*")): its next name was taken 10 times") == true)
        #expect(try storage.list(prefix: "records/").count == RecordSeries.attempts)
    }
}
