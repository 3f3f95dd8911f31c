import Testing
@testable import PITRConfig

@Suite struct TransferSettingsTests {
    private func settings(_ environment: [String: String]) throws -> Settings {
        try Settings.load(flags: [:], environment: environment, defaultFile: "/nonexistent/tailtown-pitr.conf")
    }

    @Test func defaults() throws {
        let plain = try settings([:])
        let concurrency = try plain.uploadConcurrency()
        #expect((2...8).contains(concurrency))
        #expect(try plain.pushAhead() == 8 * concurrency)
        #expect(try plain.prefetch() == 8)
        #expect(try plain.fetchGapGrace() == 60)
    }

    @Test func explicitValuesAndZeroTurnOff() throws {
        let set = try settings(["TAILTOWN_UPLOAD_CONCURRENCY": "5", "TAILTOWN_PUSH_AHEAD": "0", "TAILTOWN_PREFETCH": "0",
                                 "TAILTOWN_FETCH_GAP_GRACE": "0"])
        #expect(try set.uploadConcurrency() == 5)
        #expect(try set.pushAhead() == 0)
        #expect(try set.prefetch() == 0)
        #expect(try set.fetchGapGrace() == 0)
    }

    @Test func outOfRangeValuesNameTheSetting() throws {
        for (name, value) in [("TAILTOWN_UPLOAD_CONCURRENCY", "0"), ("TAILTOWN_PUSH_AHEAD", "many"), ("TAILTOWN_PREFETCH", "65"),
                              ("TAILTOWN_FETCH_GAP_GRACE", "-1"), ("TAILTOWN_FETCH_GAP_GRACE", "1m")] {
            let loaded = try settings([name: value])
            let error = #expect(throws: ConfigError.self) {
                _ = try loaded.uploadConcurrency()
                _ = try loaded.pushAhead()
                _ = try loaded.prefetch()
                _ = try loaded.fetchGapGrace()
            }
            #expect(error?.description.contains(name) == true)
        }
    }
}
