import Foundation
import PITRConfig
import Testing

extension PostgreSQLIntegration {
    /// wal-fetch and wal-push in PostgreSQL's plain form (`--config FILE wal-fetch %f %p`) skip ArgumentParser:
    /// they must answer exactly as the same command parsed by ArgumentParser (`--config=FILE`, a form the
    /// fast path leaves to it), for every outcome PostgreSQL tells apart.
    @Suite struct PerSegmentCommands {
        @Test func bothFormsGiveTheSameStatusesAndMessages() throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: true)
            defer { try? archived.stop() }
            let config = archived.tailtown.configFile
            let folder = try archived.sandbox.makeDirectory("fetched")
            let directory = archived.cluster.dataDirectory
            let segment = try #require(WALSegment(archived.segment, segmentSizeMB: 16))
            let missing = segment.through(WALSegment(timeline: 1, log: segment.log, segment: segment.segment + 40,
                                                     segmentsPerLog: segment.segmentsPerLog)).last?.name ?? ""

            var cases: [(label: String, arguments: [String], status: Int32)] = [
                ("found", ["wal-fetch", archived.segment], 0),
                ("not in the archive", ["wal-fetch", missing], 1),
                ("not a WAL file name", ["wal-fetch", "pg_control"], 200),
            ]
            for index in cases.indices {
                cases[index].arguments.append(folder + "/RECOVERYXLOG-\(index)")
            }
            cases += [
                ("already archived", ["wal-push", archived.walFile], 0),
                ("no such file", ["wal-push", directory + "/pg_wal/000000010000000000000099"], 1),
            ]
            for (label, arguments, status) in cases {
                let fast = try archived.sandbox.tailtown(["--config", config] + arguments, in: directory)
                if arguments.first == "wal-fetch", status == 0 {
                    #expect(try contents(of: arguments[2]) == contents(of: archived.walFile), "\(label)")
                    try FileManager.default.removeItem(atPath: arguments[2])
                }
                let parsed = try archived.sandbox.tailtown(["--config=" + config] + arguments, in: directory)
                #expect(fast.status == status, "\(label): \(fast.stderr)")
                #expect(parsed.status == status, "\(label), ArgumentParser: \(parsed.stderr)")
                #expect(fast.stderr == parsed.stderr, "\(label)")
            }

            let noConfig = archived.sandbox.path("no-such.conf")
            for (flag, status) in [("--config", Int32(200)), ("--config=", 200)] {
                let form = flag == "--config" ? [flag, noConfig] : [flag + noConfig]
                let fetch = try archived.sandbox.tailtown(form + ["wal-fetch", archived.segment, folder + "/X"], in: directory)
                #expect(fetch.status == status, "wal-fetch without its config file (\(flag)): \(fetch.stderr)")
                #expect(fetch.stderr.contains(noConfig))
                let push = try archived.sandbox.tailtown(form + ["wal-push", archived.walFile], in: directory)
                #expect(push.status == 1, "wal-push without its config file (\(flag)): \(push.stderr)")
                #expect(push.stderr.contains(noConfig))
            }
        }

        /// Forms the fast path leaves to ArgumentParser still get its answers.
        @Test func helpAndUsageErrorsStillComeFromArgumentParser() throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: false)
            let destination = try sandbox.makeDirectory("fetched") + "/RECOVERYXLOG"
            for command in ["wal-fetch", "wal-push"] {
                let help = try sandbox.tailtown(["--config", tailtown.configFile, command, "--help"])
                #expect(help.status == 0 && help.stdout.contains("USAGE"), "\(command) --help: \(help.stdout)\(help.stderr)")
            }
            let usage: [(arguments: [String], status: Int32)] = [
                (["wal-fetch", "000000010000000000000001"], 200),
                (["wal-fetch", "000000010000000000000001", destination, "extra"], 200),
                (["--no-such-flag", "x", "wal-fetch", "000000010000000000000001", destination], 200),
                (["--config", tailtown.configFile, "--config", tailtown.configFile, "wal-fetch", "000000010000000000000001", destination], 200),
                (["wal-push"], 64),
            ]
            for (arguments, status) in usage {
                let result = try sandbox.tailtown(arguments)
                #expect(result.status == status, "\(arguments): \(result.stderr)")
                #expect(result.stderr.lowercased().contains("error:"), "\(arguments): \(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: destination))
        }

        /// The fast path reads the flags from `SettingDefinition`; ArgumentParser's are declared in `GlobalOptions`:
        /// the two lists must be the same, or one path would accept what the other refuses. `--help` and `--version`
        /// are ArgumentParser's own, which the fast path leaves to it.
        @Test func theFastPathKnowsExactlyTheGlobalFlags() throws {
            let sandbox = try Sandbox()
            let help = try sandbox.tailtown(["wal-fetch", "--help"])
            let options = Set(help.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," || $0 == "[" || $0 == "]" })
                .filter { $0.hasPrefix("--") }.map(String.init))
            let table = Set(SettingDefinition.all.compactMap(\.flag))
            #expect(options.subtracting(["--help", "--version"]) == table, "\(help.stdout)")
        }
    }
}
