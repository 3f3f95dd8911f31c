import Foundation
import Testing
@testable import PITRSupport
@testable import PITRWAL

/// Backup history files written by a real PostgreSQL 15, and tampered copies of them. The integration tests
/// (`BackupHistoryArchiving`) have a running cluster write one into the archive through wal-push; a server cannot
/// be started here, where tests run in parallel with ones that read a child's output to its end (a postmaster
/// would hold their pipes open).
@Suite struct BackupHistoryFileTests {
    /// The cluster's segments were 32 MiB, so a name is bound to its content without assuming the default size.
    static let size = try! WALSegmentSize(megabytes: 32)

    /// Two backups of one cluster (initdb --wal-segsize=32; archive_mode=on, archive_command='' so the files
    /// stayed in pg_wal), in one psql session: `pg_backup_start(label, true)`, `pg_backup_stop(false)`. The second
    /// label holds lines that read as keys: `E'nightly\nSTART TIMELINE: 7\nSTART WAL LOCATION: 0/1000028 (file ...)'`.
    struct Written: Sendable {
        let name: String
        let text: String
        let label: String
        var bytes: [UInt8] { Array(text.utf8) }
    }

    static let plain = Written(name: "000000010000000000000002.00000028.backup", text: """
        START WAL LOCATION: 0/4000028 (file 000000010000000000000002)
        STOP WAL LOCATION: 0/4000100 (file 000000010000000000000002)
        CHECKPOINT LOCATION: 0/4000060
        BACKUP METHOD: streamed
        BACKUP FROM: primary
        START TIME: 2026-12-06 04:52:59 UTC
        LABEL: nightly 2026-12-06
        START TIMELINE: 1
        STOP TIME: 2026-12-06 04:52:59 UTC
        STOP TIMELINE: 1

        """, label: "nightly 2026-12-06")

    static let trickyLabel = Written(name: "000000010000000000000003.00000028.backup", text: """
        START WAL LOCATION: 0/6000028 (file 000000010000000000000003)
        STOP WAL LOCATION: 0/6000100 (file 000000010000000000000003)
        CHECKPOINT LOCATION: 0/6000060
        BACKUP METHOD: streamed
        BACKUP FROM: primary
        START TIME: 2026-12-06 04:52:59 UTC
        LABEL: nightly
        START TIMELINE: 7
        START WAL LOCATION: 0/1000028 (file 000000070000000000000001)
        START TIMELINE: 1
        STOP TIME: 2026-12-06 04:52:59 UTC
        STOP TIMELINE: 1

        """, label: "nightly\nSTART TIMELINE: 7\nSTART WAL LOCATION: 0/1000028 (file 000000070000000000000001)")

    @Test func aRealFileParsesAndMatchesItsName() throws {
        for (name, bytes, label) in [Self.plain, Self.trickyLabel].map({ ($0.name, $0.bytes, $0.label) }) {
            let history = try BackupHistoryFile(parsing: bytes, file: name)
            guard case .backup(let segment, let offset) = try WALFileName(parsing: name) else {
                Issue.record("\(name) is not a backup history name")
                continue
            }
            try history.check(name: segment, offset: offset, file: name)
            #expect(history.fileName.fileName == name)
            #expect(history.label == label)
            #expect(history.startTimeline == TimelineID(1) && history.stopTimeline == TimelineID(1))
            #expect(history.startSegment == WALSegmentName(timeline: TimelineID(1), high: segment.high, low: segment.low))
            #expect(history.start.rawValue % Self.size.bytes == UInt64(offset))
            #expect(WALSegmentName.segment(containing: history.start, timeline: TimelineID(1), segmentSize: Self.size) == history.startSegment)
            #expect(history.start <= history.checkpoint && history.checkpoint <= history.stop)
            // The text PostgreSQL wrote holds what was parsed, in its own words.
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("START WAL LOCATION: \(history.start) (file \(history.startSegment.fileName))\n"))
            #expect(text.contains("\nCHECKPOINT LOCATION: \(history.checkpoint)\n"))
            #expect(text.contains("\nSTART TIME: \(history.startTime)\n") && text.contains("\nSTOP TIME: \(history.stopTime)\n"))
            #expect(text.contains("\nLABEL: \(label)\nSTART TIMELINE: 1\n"))
        }
    }

    @Test func aRenamedCopyIsRefused() throws {
        let plain = Self.plain
        let history = try BackupHistoryFile(parsing: plain.bytes, file: plain.name)
        guard case .backup(let segment, let offset) = try WALFileName(parsing: plain.name) else {
            Issue.record("not a backup history name")
            return
        }
        let size = Self.size
        let otherNames: [(WALSegmentName, UInt32)] = [
            (segment.next(size), offset),
            (WALSegmentName(timeline: TimelineID(2), high: segment.high, low: segment.low), offset),
            (segment, offset + 8),
            (segment, 0),
        ]
        for (otherSegment, otherOffset) in otherNames {
            let name = WALFileName.backup(otherSegment, offset: otherOffset).fileName
            #expect(throws: WALError.backupHistoryNameMismatch(file: name, name: name, start: history.start, contentName: plain.name)) {
                try history.check(name: otherSegment, offset: otherOffset, file: name)
            }
        }
        let message = WALError.backupHistoryNameMismatch(file: "/x/" + plain.name, name: "N", start: history.start, contentName: plain.name)
        #expect(message.description.contains("the file was renamed or is corrupt"))
    }

    /// Each tampered copy keeps the real file's name; each must be refused, without quoting the label.
    @Test func aTamperedCopyIsRefused() throws {
        let plain = Self.plain
        let text = String(decoding: plain.bytes, as: UTF8.self)
        let history = try BackupHistoryFile(parsing: plain.bytes, file: "f")
        let startLine = "START WAL LOCATION: \(history.start) (file \(history.startSegment.fileName))"
        let moved = LSN(history.start.rawValue + 8)
        let lines = text.split(separator: "\n").map(String.init)
        let tampered: [(String, String)] = [
            ("start moved", text.replacingOccurrences(of: startLine, with: "START WAL LOCATION: \(moved) (file \(history.startSegment.fileName))")),
            ("start in another file", text.replacingOccurrences(of: "(file \(history.startSegment.fileName))",
                                                               with: "(file \(history.startSegment.next(Self.size).fileName))")),
            ("truncated", String(text.dropLast())),
            ("cut after the label", lines.prefix { !$0.hasPrefix("START TIMELINE") }.map { $0 + "\n" }.joined()),
            ("no start", lines.dropFirst().map { $0 + "\n" }.joined()),
            ("no checkpoint", lines.filter { !$0.hasPrefix("CHECKPOINT") }.map { $0 + "\n" }.joined()),
            ("start twice", startLine + "\n" + text),
            ("a bad timeline", text.replacingOccurrences(of: "STOP TIMELINE: 1", with: "STOP TIMELINE: one")),
            ("timelines disagree", text.replacingOccurrences(of: "STOP TIMELINE: 1", with: "STOP TIMELINE: 2")),
            ("a bad time", text.replacingOccurrences(of: "START TIME: ", with: "START TIME: yesterday ")),
            ("a line of noise", text.replacingOccurrences(of: "BACKUP METHOD", with: "backup method")),
            ("empty", ""),
            ("a WAL page", String(repeating: "\u{0}", count: 200) + "\n"),
            ("too large", text + String(repeating: "PADDING: x\n", count: 1000)),
        ]
        for (label, content) in tampered {
            var refused: (any Error)?
            do {
                let copy = try BackupHistoryFile(parsing: Array(content.utf8), file: "/wal/" + plain.name)
                guard case .backup(let segment, let offset) = try WALFileName(parsing: plain.name) else { continue }
                try copy.check(name: segment, offset: offset, file: "/wal/" + plain.name)
            } catch {
                refused = error
            }
            let error = try #require(refused as? WALError, "\(label) was accepted")
            #expect(error.description.hasPrefix("backup history file '/wal/\(plain.name)' "), "\(label): \(error)")
            #expect(!error.description.contains("nightly"), "\(label): \(error)")
        }
    }

    @Test func readChecksTheFileItIsGivenAgainstTheName() throws {
        let plain = Self.plain
        let folder = "/tmp/tailtown-backup-history-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/" + plain.name
        try Data(plain.bytes).write(to: URL(fileURLWithPath: path))
        guard case .backup(let segment, let offset) = try WALFileName(parsing: plain.name) else { return }
        let file = try SystemFile.openForReading(path)
        #expect(try BackupHistoryFile.read(file, name: segment, offset: offset, shown: path).fileName.fileName == plain.name)
        #expect(throws: WALError.self) { try BackupHistoryFile.read(file, name: segment, offset: offset &+ 1, shown: path) }
    }
}
