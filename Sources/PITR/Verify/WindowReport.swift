import PITRSupport
import PITRWAL

/// What `verify --window` found: per cluster archive, the stretches of the promised window, proven or not, and how
/// many segments it read and how many earlier runs had already proven.
public struct WindowReport: Equatable, Sendable {
    public struct Archive: Equatable, Sendable {
        public let identity: ClusterIdentity
        public let stretches: [WindowStretch]
        public let segmentsRead: Int
        public let segmentsRemembered: Int

        public var proven: [WindowStretch] { stretches.filter(\.isProven) }
        public var unprovable: [WindowStretch] { stretches.filter { !$0.isProven } }
        public var provenStart: PostgresTimestamp? { proven.compactMap(\.startTime).min() }
        public var provenEnd: PostgresTimestamp? { proven.compactMap(\.endTime).max() }
        public var unprovableSeconds: Int64 { unprovable.reduce(0) { $0 + $1.seconds } }
    }

    public let time: UTCTime
    public let archives: [Archive]

    public var isSound: Bool { archives.allSatisfy { $0.unprovable.isEmpty } && !archives.isEmpty }

    public var text: String {
        var lines: [String] = []
        for archive in archives {
            lines.append("archive \(archive.identity.archiveID): proven window "
                         + "\(archive.provenStart?.description ?? "none") to \(archive.provenEnd?.description ?? "none"); "
                         + "\(archive.segmentsRead) segment\(archive.segmentsRead == 1 ? "" : "s") read, \(archive.segmentsRemembered) proven by earlier runs")
            lines += archive.stretches.map { "  " + $0.description }
        }
        if archives.isEmpty { lines.append("the repository holds no WAL archive: nothing to prove") }
        let unprovable = archives.reduce(0) { $0 + $1.unprovable.count }
        lines.append(isSound ? "every point of the promised window can be restored"
                     : "\(unprovable) unprovable stretch\(unprovable == 1 ? "" : "es"), \(archives.reduce(0) { $0 + $1.unprovableSeconds }) s of the window")
        return lines.joined(separator: "\n") + "\n"
    }

    public var json: String {
        func string(_ text: String) -> String { text.jsonLiteral }
        func time(_ value: PostgresTimestamp?) -> String { value.map { string($0.description) } ?? "null" }
        let archives = self.archives.map { archive in
            let stretches = archive.stretches.map { stretch in
                "{\"timeline\":\(stretch.timeline.rawValue),\"start_lsn\":\(string(stretch.start.description)),\"end_lsn\":\(string(stretch.end.description)),"
                    + "\"start\":\(time(stretch.startTime)),\"end\":\(time(stretch.endTime)),\"proven\":\(stretch.isProven),"
                    + "\"seconds\":\(stretch.seconds),\"cause\":\(stretch.cause.map(string) ?? "null"),\"object\":\(stretch.object.map(string) ?? "null")}"
            }
            return "{\"archive\":\(string(archive.identity.archiveID)),\"proven_start\":\(time(archive.provenStart)),\"proven_end\":\(time(archive.provenEnd)),"
                + "\"unprovable_seconds\":\(archive.unprovableSeconds),\"segments_read\":\(archive.segmentsRead),"
                + "\"segments_remembered\":\(archive.segmentsRemembered),\"stretches\":[" + stretches.joined(separator: ",") + "]}"
        }
        return "{\"ok\":\(isSound),\"time\":\(string(self.time.iso8601)),\"archives\":[" + archives.joined(separator: ",") + "]}\n"
    }
}
