import Foundation
import PITRWAL

/// pg_waldump's view of a pg_wal folder: the independent reference the decoder is compared with.
struct WALDump {
    /// A commit, abort, restore point, checkpoint or end of recovery as pg_waldump prints it (times in UTC,
    /// through TZ=UTC).
    struct Entry: Equatable, CustomStringConvertible {
        let kind: WALEvent.Kind
        let lsn: LSN
        let xid: UInt32
        /// Nil for restore points and checkpoints, whose time pg_waldump does not print (or we do not read).
        let time: PostgresTimestamp?

        var description: String { "\(kind) \(lsn) xid \(xid) \(time.map(String.init(describing:)) ?? "")" }
    }

    let entries: [Entry]

    /// Where `decoded` disagrees with pg_waldump: each entry's kind, LSN, xid and (where pg_waldump prints one)
    /// time, in order, and the counts. Empty when they agree.
    func disagreements(with decoded: [WALEvent]) -> [String] {
        var found: [String] = []
        if decoded.count != entries.count { found.append("decoded \(decoded.count) records, pg_waldump \(entries.count)") }
        for (ours, theirs) in zip(decoded, entries) {
            let expected = Entry(kind: ours.kind, lsn: ours.lsn, xid: ours.xid, time: theirs.time == nil ? nil : ours.time)
            if expected != theirs {
                found.append("decoded \(expected), pg_waldump \(theirs)")
                break
            }
        }
        return found
    }

    /// Runs `major`'s pg_waldump from the start of `firstSegment` to the end of the readable WAL in `folder`,
    /// at most to the end of `lastSegment`.
    static func read(folder: String, from firstSegment: String, to lastSegment: String, major: Int) throws -> WALDump {
        // pg_waldump ends with an error where the WAL ends; what it printed before is what counts.
        let result = try Command.runAsPostgres(try PostgreSQL.tool("pg_waldump", major: major), ["-p", folder, firstSegment, lastSegment],
                                               environment: ["TZ": "UTC"], timeout: 300)
        guard result.stdout.contains("rmgr:") else { throw HarnessError.commandFailed(command: result.command, status: result.status, output: result.stderr) }
        return WALDump(entries: try result.stdout.split(separator: "\n").compactMap(parse))
    }

    /// `rmgr: Transaction len (rec/tot): 34/ 34, tx: 735, lsn: 0/01A3B2C0, prev 0/..., desc: COMMIT 2026-11-27 03:42:12.216465 UTC; ...`
    /// `rmgr: XLOG ... desc: RESTORE_POINT before-x`
    /// `rmgr: XLOG ... desc: CHECKPOINT_ONLINE redo 0/1480380; tli 1; prev tli 1; fpw true; ...`
    /// `rmgr: XLOG ... desc: END_OF_RECOVERY tli 2; prev tli 1; time 2026-12-06 01:40:00.123456 UTC...`
    private static func parse(_ line: Substring) throws -> Entry? {
        guard let descRange = line.range(of: ", desc: "), let lsnRange = line.range(of: "lsn: "),
              let txRange = line.range(of: "tx: ") else { return nil }
        let desc = line[descRange.upperBound...]
        let lsn = try LSN(parsing: line[lsnRange.upperBound...].prefix { $0 != "," })
        let tx = UInt32(line[txRange.upperBound...].prefix { $0 != "," }.trimmingCharacters(in: .whitespaces)) ?? 0
        if line.hasPrefix("rmgr: XLOG"), desc.hasPrefix("RESTORE_POINT ") {
            return Entry(kind: .restorePoint(name: String(desc.dropFirst("RESTORE_POINT ".count))), lsn: lsn, xid: 0, time: nil)
        }
        if line.hasPrefix("rmgr: XLOG"), desc.hasPrefix("CHECKPOINT_SHUTDOWN ") || desc.hasPrefix("CHECKPOINT_ONLINE ") {
            let fields = descFields(desc)
            guard let redo = fields["redo"], let tli = fields["tli"].flatMap(UInt32.init), let prev = fields["prev tli"].flatMap(UInt32.init) else {
                throw HarnessError.system("pg_waldump line not understood: \(line)")
            }
            return Entry(kind: .checkpoint(redo: try LSN(parsing: redo), timeline: TimelineID(tli), previousTimeline: TimelineID(prev),
                                           online: desc.hasPrefix("CHECKPOINT_ONLINE")), lsn: lsn, xid: 0, time: nil)
        }
        if line.hasPrefix("rmgr: XLOG"), desc.hasPrefix("END_OF_RECOVERY ") {
            let fields = descFields(desc)
            guard let tli = fields["tli"].flatMap(UInt32.init), let prev = fields["prev tli"].flatMap(UInt32.init), let time = fields["time"] else {
                throw HarnessError.system("pg_waldump line not understood: \(line)")
            }
            return Entry(kind: .endOfRecovery(timeline: TimelineID(tli), previousTimeline: TimelineID(prev)), lsn: lsn, xid: 0,
                         time: try PostgresTimestamp(parsing: time.replacingOccurrences(of: " UTC", with: "+00")))
        }
        guard line.hasPrefix("rmgr: Transaction") else { return nil }
        let words = desc.split(separator: " ", maxSplits: 1)
        guard words.count == 2 else { return nil }
        let kind: WALEvent.Kind
        switch words[0] {
        case "COMMIT", "COMMIT_PREPARED": kind = .commit
        case "ABORT", "ABORT_PREPARED": kind = .abort
        default: return nil
        }
        var rest = words[1]
        var xid = tx
        if words[0].hasSuffix("_PREPARED"), let colon = rest.firstIndex(of: ":") {
            xid = UInt32(rest[..<colon]) ?? 0
            rest = rest[rest.index(colon, offsetBy: 2)...]
        }
        let stamp = rest.prefix { $0 != ";" }.replacingOccurrences(of: " UTC", with: "+00")
        return Entry(kind: kind, lsn: lsn, xid: xid, time: try PostgresTimestamp(parsing: stamp))
    }

    /// `KIND a 1; b c 2; ...` as ["a": "1", "b c": "2"]: the key is every word of a part but its last, except for
    /// `time`, whose value has spaces (the first part's leading KIND word is dropped).
    private static func descFields(_ desc: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        for (position, part) in desc.split(separator: ";").enumerated() {
            var words = part.split(separator: " ").map(String.init)
            if position == 0 { words.removeFirst() }
            if words.first == "time" {
                fields["time"] = words.dropFirst().joined(separator: " ")
            } else if words.count >= 2 {
                fields[words.dropLast().joined(separator: " ")] = words.last
            }
        }
        return fields
    }
}
