import PITRNative
import PITRSupport
import PITRWAL

/// One tablespace as BASE_BACKUP reports it before the data.
public struct BackupTablespace: Equatable, Sendable {
    /// nil for the main data directory.
    public let oid: UInt32?
    /// nil for the main data directory.
    public let location: String?
    /// The server's size estimate in bytes.
    public let estimatedBytes: Int64
}

/// Reads the answer to BASE_BACKUP: start position, tablespaces, then each archive's bytes as a
/// `ByteSource`, the manifest, and the stop position.
///
/// PostgreSQL 15 and later send one COPY whose messages start with a type byte ('n' new archive with
/// its name and tablespace location, 'd' data, 'p' progress, 'm' manifest follows). Only one message
/// is held at a time, so memory stays bounded.
final class BaseBackupStream: ByteSource {
    enum Item: Equatable {
        /// The bytes that follow (read them with `read(into:)`) are a tar archive.
        case archive(name: String, tablespace: BackupTablespace?)
        /// The bytes that follow are the backup_manifest.
        case manifest
        /// The COPY ended; call `finish`.
        case end
    }

    private let connection: PostgresConnection
    private let statement: BaseBackupStatement
    private let interruption: InterruptSignal?
    let startLSN: LSN
    let startTimeline: TimelineID
    let tablespaces: [BackupTablespace]
    /// Called with the bytes of the database done so far, as the server reports them.
    var onProgress: (Int64) -> Void = { _ in }

    private var message: [UInt8] = []
    private var offset = 0
    private var next: Item?
    private var inData = false
    private var copyEnded = false
    private var bytesDone: Int64 = 0

    /// Sends BASE_BACKUP and reads what precedes the data: start position and tablespaces.
    init(connection: PostgresConnection, statement: BaseBackupStatement, interruption: InterruptSignal?) throws {
        self.connection = connection
        self.statement = statement
        self.interruption = interruption
        try connection.send(statement.text)
        let start = try Self.rows(try connection.nextResponse(to: statement.text), what: "start position")
        guard let startText = start.values.first?[0], let timelineText = start.values.first?[1],
              let lsn = try? LSN(parsing: startText), let timeline = UInt32(timelineText) else {
            throw BackupError.protocolViolation("start position \(start.values)")
        }
        startLSN = lsn
        startTimeline = TimelineID(timeline)
        let list = try Self.rows(try connection.nextResponse(to: statement.text), what: "tablespace list")
        tablespaces = list.values.map { row in
            BackupTablespace(oid: row[0].flatMap { UInt32($0) }, location: row[1],
                             estimatedBytes: (row.count > 2 ? row[2].flatMap { Int64($0) } ?? 0 : 0) * 1024)
        }
        guard try connection.nextResponse(to: statement.text) == .copyOut else {
            throw BackupError.protocolViolation("no COPY after the tablespace list")
        }
    }

    /// Total estimated size in bytes (0 when the server gave no estimate).
    var estimatedBytes: Int64 { tablespaces.reduce(0) { $0 + $1.estimatedBytes } }

    /// Skips what is left of the current item and returns the next one.
    func nextItem() throws -> Item {
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        while inData {
            _ = try scratch.withUnsafeMutableBytes { try read(into: $0) }
        }
        if let item = next {
            next = nil
            inData = item != .end
            return item
        }
        try fetch()
        return try nextItem()
    }

    /// The bytes of the current archive or manifest; 0 at its end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while inData {
            if offset < message.count {
                let count = min(buffer.count, message.count - offset)
                message.withUnsafeBytes { bytes in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
                }
                offset += count
                return count
            }
            try fetch()
        }
        return 0
    }

    /// True when the current item has more bytes (reads ahead one message when needed).
    func hasMoreData() throws -> Bool {
        while inData && offset >= message.count {
            try fetch()
        }
        return inData
    }

    /// Reads what follows the COPY: the stop position and the end of the command.
    func finish() throws -> (lsn: LSN, timeline: TimelineID) {
        let stop = try Self.rows(try connection.nextResponse(to: statement.text), what: "stop position")
        guard let lsnText = stop.values.first?[0], let lsn = try? LSN(parsing: lsnText),
              let timeline = stop.values.first.flatMap({ $0.count > 1 ? $0[1] : nil }).flatMap({ UInt32($0) }) else {
            throw BackupError.protocolViolation("stop position \(stop.values)")
        }
        while let response = try connection.nextResponse(to: statement.text) {
            if case .copyOut = response { throw BackupError.protocolViolation("COPY after the stop position") }
        }
        return (lsn, TimelineID(timeline))
    }

    /// Reads one message of the typed stream: data goes to `message`, anything else ends the data.
    private func fetch() throws {
        try interruption?.check()
        message.removeAll(keepingCapacity: true)
        offset = 0
        var kind: UInt8 = 0
        var payload: [UInt8] = []
        let more = try connection.readCopyData { bytes in
            guard let first = bytes.first else { return }
            kind = first
            if first == UInt8(ascii: "d") {
                message.append(contentsOf: bytes[1...])
                offset = 0
            } else {
                payload = Array(bytes[1...])
            }
        }
        guard more else {
            copyEnded = true
            inData = false
            next = .end
            return
        }
        switch kind {
        case UInt8(ascii: "d"):
            guard inData else { throw BackupError.protocolViolation("data before any archive") }
        case UInt8(ascii: "p"):
            guard payload.count == 8 else { throw BackupError.protocolViolation("progress message of \(payload.count) bytes") }
            bytesDone = payload.reduce(Int64(0)) { $0 << 8 | Int64($1) }
            onProgress(bytesDone)
        case UInt8(ascii: "n"):
            let fields = payload.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            guard fields.count >= 2 else { throw BackupError.protocolViolation("archive message without a name") }
            let location = fields[1].isEmpty ? nil : fields[1]
            inData = false
            next = .archive(name: fields[0], tablespace: tablespaces.first { $0.location == location })
        case UInt8(ascii: "m"):
            inData = false
            next = .manifest
        default:
            throw BackupError.protocolViolation("CopyData message of type \(kind)")
        }
    }

    private static func rows(_ response: PostgresResponse?, what: String) throws -> PostgresRows {
        guard case .rows(let rows)? = response, !rows.values.isEmpty else {
            throw BackupError.protocolViolation("no \(what) result")
        }
        return rows
    }
}
