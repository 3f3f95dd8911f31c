import Foundation
import Testing
@testable import PITRNative
@testable import PITRSupport

extension PostgreSQLIntegration {
    @Suite struct PostgresConnectionTests {
        /// A running PostgreSQL 15 of its own sandbox; stopped when released.
        static func startCluster() throws -> PostgresCluster {
            let cluster = try PostgresCluster.initialize(in: try Sandbox(), name: "primary")
            try cluster.start()
            return cluster
        }

        @Test func identifySystemOverReplicationConnection() throws {
            let cluster = try Self.startCluster()
            defer { try? cluster.stop() }
            let connection = try PostgresConnection(conninfo: cluster.conninfo + " replication=database")
            #expect(connection.serverVersion / 10000 == 15)
            let rows = try connection.query("IDENTIFY_SYSTEM")
            #expect(rows.columns == ["systemid", "timeline", "xlogpos", "dbname"])
            let controlData = try Command.runAsPostgres(try cluster.tool("pg_controldata"), [cluster.dataDirectory]).check()
            let expected = controlData.split(separator: "\n").first { $0.hasPrefix("Database system identifier:") }?
                .split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
            #expect(rows.value("systemid") == expected)
            #expect(rows.value("timeline") == "1")
            #expect(rows.value("dbname") == "postgres")
        }

        @Test func queryReturnsRowsAndNulls() throws {
            let cluster = try Self.startCluster()
            defer { try? cluster.stop() }
            let connection = try PostgresConnection(conninfo: cluster.conninfo)
            let rows = try connection.query("SELECT 1 AS a, NULL::text AS b UNION ALL SELECT 2, 'x'")
            #expect(rows.values == [["1", nil], ["2", "x"]])
            #expect(rows.value("b", row: 1) == "x")
            #expect(connection.serverVersion / 10000 == 15)
        }

        @Test func serverErrorCarriesMessageAndSQLState() throws {
            let cluster = try Self.startCluster()
            defer { try? cluster.stop() }
            let connection = try PostgresConnection(conninfo: cluster.conninfo)
            #expect {
                try connection.query("SELECT * FROM no_such_table")
            } throws: { error in
                guard case PostgresError.serverError(let command, let message, let sqlState) = error else { return false }
                return command.hasPrefix("SELECT") && message.contains("no_such_table") && sqlState == "42P01"
                    && !(error as? PostgresError)!.description.contains("\n")
            }
            // The connection stays usable after an error.
            #expect(try connection.query("SELECT 3").values == [["3"]])
        }

        @Test func cannotConnectReportsLibpqMessage() throws {
            #expect {
                _ = try PostgresConnection(conninfo: "host=/nonexistent-socket-dir port=1 user=postgres connect_timeout=2")
            } throws: { error in
                guard case PostgresError.cannotConnect(let message) = error else { return false }
                return message.contains("/nonexistent-socket-dir") && !message.contains("\n")
            }
            #expect(throws: PostgresError.self) {
                _ = try PostgresConnection(conninfo: "this is not a conninfo")
            }
        }

        /// COPY IN: data in CopyData messages, CopyDone stores it; CopyFail stores nothing and fails the command with the reason;
        /// `query` meeting a COPY IN ends it. The connection takes the next command after each.
        @Test func copyInSendsDataOrFails() throws {
            let cluster = try Self.startCluster()
            defer { try? cluster.stop() }
            let connection = try PostgresConnection(conninfo: cluster.conninfo)
            _ = try connection.query("CREATE TABLE copied (a int, b text)")
            let copy = "COPY copied FROM STDIN"
            // 1.8 MB in one call: several CopyData messages, and waits for the socket between them.
            let rows = (1...120_000).map { "\($0)\trow \($0)\n" }.joined()

            try connection.send(copy)
            #expect(try connection.nextResponse(to: copy) == .copyIn)
            try Array(rows.utf8).withUnsafeBytes { try connection.writeCopyData($0) }
            try connection.endCopyData()
            #expect(try connection.nextResponse(to: copy) == .commandComplete)
            #expect(try connection.nextResponse(to: copy) == nil)
            #expect(try connection.query("SELECT count(*), max(b) FROM copied").values == [["120000", "row 99999"]])

            try connection.send(copy)
            #expect(try connection.nextResponse(to: copy) == .copyIn)
            try Array("1\tone\n".utf8).withUnsafeBytes { try connection.writeCopyData($0) }
            try connection.endCopyData(failure: "the test gave up")
            #expect {
                _ = try connection.nextResponse(to: copy)
            } throws: { error in
                guard case PostgresError.serverError(_, let message, _) = error else { return false }
                return message.contains("the test gave up")
            }
            connection.discardResponses(to: copy)
            #expect(try connection.query("SELECT count(*) FROM copied").values == [["120000"]])

            #expect(throws: PostgresError.unexpectedResponse(command: copy, response: "COPY IN")) { try connection.query(copy) }
            #expect(try connection.query("SELECT count(*) FROM copied").values == [["120000"]])
        }

        @Test func interruptDescriptorEndsAWait() throws {
            let cluster = try Self.startCluster()
            defer { try? cluster.stop() }
            let connection = try PostgresConnection(conninfo: cluster.conninfo)
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            defer { close(fds[0]); close(fds[1]) }
            connection.interruptDescriptor = fds[0]
            let writer = fds[1]
            // The interruption comes once the server runs the query (pg_stat_activity shows it), so it ends a wait in progress;
            // a wait it did not end would return after 30 s without throwing.
            let interrupter = try WorkerThread {
                do {
                    try waitUntil("pg_sleep(30) running", seconds: 60) {
                        try cluster.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'") == "1"
                    }
                } catch {
                    Issue.record("\(error)")
                }
                _ = write(writer, "x", 1)
            }
            #expect(throws: PostgresError.interrupted) {
                _ = try connection.query("SELECT pg_sleep(30)")
            }
            interrupter.join()
        }
    }
}
