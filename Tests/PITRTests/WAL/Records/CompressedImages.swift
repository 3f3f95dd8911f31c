import Foundation
@testable import PITRWAL

/// A fixture capture-class-updates.sh wrote with wal_compression on (class-updates-MAJOR-METHOD): every full-page
/// image the decoder finds in its segment, and the pages pg_waldump --save-fullpage restored from them, both keyed by
/// pg_waldump's file name (timeline-LSN.tablespace.database.file.block_fork).
struct CompressedImages {
    struct Image {
        let record: [UInt8]
        let block: WALRecordBody.BlockReference
        let payloadStart: Int

        func restore(_ block: WALRecordBody.BlockReference? = nil) throws -> [UInt8] {
            try record.withUnsafeBytes { try PageImage.restore($0, block: block ?? self.block, payloadStart: payloadStart) }
        }

        /// The image's bytes as the record holds them.
        var stored: ArraySlice<UInt8> { record[(payloadStart + block.payloadOffset)...].prefix(block.imageLength) }
    }

    let images: [String: Image]
    let pages: [String: [UInt8]]

    init(_ name: String, major: Int) throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let facts = try String(contentsOf: folder.appendingPathComponent("\(name).txt"), encoding: .utf8).split(separator: "\n")
        let saved = [UInt8](try Data(contentsOf: folder.appendingPathComponent("\(name).pages")))
        let names = facts.filter { $0.hasPrefix("image ") }.map { String($0.dropFirst(6)) }
        pages = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Array(saved[($0 * 8192)..<(($0 + 1) * 8192)])) })
        let segmentName = facts.first { $0.hasPrefix("segment ") }.map { String($0.dropFirst(8)) } ?? ""
        let size = try WALSegmentSize(megabytes: 1)
        var bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent("\(name).wal")))
        bytes += [UInt8](repeating: 0, count: Int(size.bytes) - bytes.count)
        var images: [String: Image] = [:]
        let forks = ["_main", "_fsm", "_vm", "_init"]
        _ = try WALSegmentWalk(segment: try WALSegmentName(parsing: segmentName, segmentSize: size), bytes: bytes, segmentSize: size,
                               magic: PostgreSQLMajor.pageMagic(of: major) ?? 0, majorVersion: major, next: { nil }) { record, lsn in
            var blocks: [WALRecordBody.BlockReference] = []
            let main = try WALRecordBody.mainData(of: record) { blocks.append($0) }
            let payloadStart = main.lowerBound - blocks.reduce(0) { $0 + $1.imageLength + $1.dataLength }
            for block in blocks where block.hasImage {
                let name = String(format: "%08X-%08X-%08X.%u.%u.%u.%u", 1, UInt32(lsn.rawValue >> 32), UInt32(lsn.rawValue & 0xFFFF_FFFF),
                                  block.file.tablespace, block.file.database, block.file.number, block.number) + forks[Int(block.fork)]
                images[name] = Image(record: Array(record), block: block, payloadStart: payloadStart)
            }
        }.run()
        self.images = images
    }
}
