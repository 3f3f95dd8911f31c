import Foundation
import Testing
@testable import PITRMonitoring
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRVerify
@testable import PITRWAL

/// A strict reader of the Prometheus text exposition format (0.0.4), as promtool checks it:
/// HELP and TYPE before a metric's samples and at most once each, valid metric and label names,
/// quoted and escaped label values, Go float values, optional integer timestamps.
enum ExpositionFormat {
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    struct Invalid: Error, CustomStringConvertible {
        let line: Int
        let reason: String
        var description: String { "line \(line): \(reason)" }
    }

    static let metricName = try! NSRegularExpression(pattern: "^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    static let labelName = try! NSRegularExpression(pattern: "^[a-zA-Z_][a-zA-Z0-9_]*$")

    static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    static func parse(_ text: String) throws -> [Sample] {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Invalid(line: 0, reason: "the last line does not end with a newline") }
        var types: [String: String] = [:], helps = Set<String>(), sampled = Set<String>(), samples: [Sample] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 3, parts[0] == "#" else { continue }
                guard matches(metricName, parts[2]) else { throw Invalid(line: number, reason: "bad metric name \(parts[2])") }
                guard !sampled.contains(parts[2]) else { throw Invalid(line: number, reason: "\(parts[1]) after samples of \(parts[2])") }
                if parts[1] == "TYPE" {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else { throw Invalid(line: number, reason: "bad TYPE") }
                    guard types.updateValue(parts[3], forKey: parts[2]) == nil else { throw Invalid(line: number, reason: "second TYPE for \(parts[2])") }
                } else if parts[1] == "HELP" {
                    guard helps.insert(parts[2]).inserted else { throw Invalid(line: number, reason: "second HELP for \(parts[2])") }
                }
                continue
            }
            guard !line.isEmpty else { continue }
            var rest = Substring(line)
            let name = String(rest.prefix { $0 != "{" && $0 != " " })
            guard matches(metricName, name) else { throw Invalid(line: number, reason: "bad metric name '\(name)'") }
            rest = rest.dropFirst(name.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let label = String(rest.prefix { $0 != "=" })
                    guard matches(labelName, label), !label.hasPrefix("__") else { throw Invalid(line: number, reason: "bad label name '\(label)'") }
                    rest = rest.dropFirst(label.count)
                    guard rest.hasPrefix("=\"") else { throw Invalid(line: number, reason: "label \(label) has no quoted value") }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let c = rest.first, c != "\"" {
                        rest = rest.dropFirst()
                        if c == "\\" {
                            guard let escaped = rest.first, ["\\", "\"", "n"].contains(escaped) else { throw Invalid(line: number, reason: "bad escape") }
                            value.append(escaped == "n" ? "\n" : escaped)
                            rest = rest.dropFirst()
                        } else {
                            guard c != "\n" else { throw Invalid(line: number, reason: "newline in label value") }
                            value.append(c)
                        }
                    }
                    guard rest.first == "\"" else { throw Invalid(line: number, reason: "unterminated label value") }
                    rest = rest.dropFirst()
                    guard labels.updateValue(value, forKey: label) == nil else { throw Invalid(line: number, reason: "label \(label) twice") }
                    if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw Invalid(line: number, reason: "expected , or }") }
                }
                rest = rest.dropFirst()
            }
            let fields = rest.split(separator: " ")
            guard rest.first == " ", (1...2).contains(fields.count) else { throw Invalid(line: number, reason: "expected one value and an optional timestamp") }
            let valueText = String(fields[0])
            guard let value = ["+Inf": Double.infinity, "-Inf": -Double.infinity, "NaN": Double.nan][valueText] ?? Double(valueText),
                  valueText.allSatisfy({ "0123456789.eE+-".contains($0) }) || ["+Inf", "-Inf", "NaN"].contains(valueText) else {
                throw Invalid(line: number, reason: "'\(valueText)' is not a float")
            }
            if fields.count == 2, Int64(fields[1]) == nil { throw Invalid(line: number, reason: "bad timestamp") }
            guard types[name] != nil else { throw Invalid(line: number, reason: "sample of \(name) without TYPE") }
            sampled.insert(name)
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        return samples
    }
}

@Suite struct PrometheusTextTests {
    @Test func theReaderRefusesWhatPromtoolRefuses() {
        for bad in ["x 1\n", "# TYPE x gauge\nx{a=\"1\" 2\n", "# TYPE x gauge\nx one\n", "# TYPE 1x gauge\n", "# TYPE x gauge\nx{a=1} 2\n",
                    "# TYPE x gauge\nx 1\n# HELP x late\n", "# TYPE x gauge\nx 1"] {
            #expect(throws: ExpositionFormat.Invalid.self, "\(bad)") { try ExpositionFormat.parse(bad) }
        }
    }

    @Test func metricsParseAndCarryTheStatus() throws {
        let monitored = try MonitoredRepository()
        try VerifyRecord(time: monitored.now, sound: true, deep: false, problems: 0).save(in: monitored.repo.repository)
        let status = try monitored.status()
        let text = PrometheusText.render(status, problems: ["one"])
        let samples = try ExpositionFormat.parse(text)
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { $0.name == "tailtown_pitr_" + name && $0.labels == labels }?.value
        }
        #expect(value("backup_age_seconds") == 27_000)
        #expect(value("wal_age_seconds") == 0)
        #expect(value("window_start_timestamp_seconds") == Double(monitored.backup.stopTime.secondsSinceEpoch))
        #expect(value("window_end_timestamp_seconds") == Double(monitored.now.secondsSinceEpoch))
        #expect(value("repository_bytes", ["kind": "wal"]) == Double(status.bytesByKind[1].bytes))
        #expect(value("backups", ["class": "newest"]) == 1)
        #expect(value("last_verify_success") == 1)
        #expect(value("check_problems") == 1)
        #expect(PrometheusText.label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")

        let file = monitored.repo.root + "/metrics.prom"
        try ReportFile.write(text, to: file)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == text)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: monitored.repo.root).filter { $0.hasSuffix(".tmp") }.isEmpty)
    }

    @Test func theLastWindowProofGivesTheWindowMetricsAndAnAlarm() throws {
        let monitored = try MonitoredRepository()
        func window(_ status: RepositoryStatus) throws -> [ExpositionFormat.Sample] {
            try ExpositionFormat.parse(PrometheusText.render(status, problems: [])).filter { $0.name.hasPrefix("tailtown_pitr_window_") }
        }
        // Never run: no window metrics beyond the status window, no alarm.
        let never = try monitored.status()
        #expect(try window(never).map(\.name).sorted() == ["tailtown_pitr_window_end_timestamp_seconds", "tailtown_pitr_window_start_timestamp_seconds"])
        #expect(!HealthCheck().problems(never, server: nil).contains { $0.contains("verify --window") })

        let start = PostgresTimestamp(unixSeconds: monitored.now.secondsSinceEpoch - 20_000, microseconds: 500)
        let end = PostgresTimestamp(unixSeconds: monitored.now.secondsSinceEpoch - 60)
        try WindowProof(outcome: .init(time: monitored.now, provenStart: start, provenEnd: end, unprovableSeconds: 1800, unprovableStretches: 1),
                        segments: [:]).save(archive: monitored.repo.identity, in: monitored.repo.repository)
        let status = try monitored.status()
        let samples = try window(status)
        func value(_ name: String) -> Double? { samples.first { $0.name == "tailtown_pitr_" + name }?.value }
        #expect(value("window_unprovable_seconds") == 1800)
        #expect(value("window_proven_start_timestamp_seconds") == Double(start.unixSeconds))
        #expect(value("window_proven_end_timestamp_seconds") == Double(end.unixSeconds))
        #expect(HealthCheck().problems(status, server: nil).contains {
            $0 == "the last verify --window (\(monitored.now.iso8601)) found 1 unprovable stretch (30m of the window): run verify --window to see them"
        })
        // status shows it too.
        #expect(StatusText.render(status).contains(
            "proven window     \(start.utcTime.iso8601) .. \(end.utcTime.iso8601) (verify --window \(monitored.now.iso8601)); 1 unprovable, 30m\n"),
                "\(StatusText.render(status))")
        #expect(StatusJSON.render(status).contains("\"last_window\":{\"time\":\"\(monitored.now.iso8601)\",\"proven_start\":\"\(start.utcTime.iso8601)\","))
    }

    @Test func anEmptyRepositoryLeavesUnknownMetricsOut() throws {
        let repo = try SyntheticRepository()
        let status = try RepositoryStatus(inventory: try RepositoryInventory.load(repository: repo.repository), policy: .standard, now: UTCTime.now())
        let samples = try ExpositionFormat.parse(PrometheusText.render(status, problems: []))
        #expect(!samples.contains { $0.name == "tailtown_pitr_backup_age_seconds" })
        #expect(samples.contains { $0.name == "tailtown_pitr_check_problems" && $0.value == 0 })
    }
}
