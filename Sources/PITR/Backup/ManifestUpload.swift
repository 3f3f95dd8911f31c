import PITRNative
import PITRSupport

/// UPLOAD_MANIFEST (PostgreSQL 17 and later): sends a backup's backup_manifest on the replication connection, where
/// the server keeps it for the BASE_BACKUP ... INCREMENTAL that follows on the same connection.
///
/// The manifest is read from `manifest` and sent in chunks of `chunkSize` bytes, one at a time, so memory stays bounded
/// whatever its size. The server parses it as it arrives and checks it (its checksum, its system identifier, its WAL
/// ranges) when the COPY ends, which happens only once `manifest` ended without an error: a source that throws gets
/// CopyFail instead, so the server never keeps a manifest cut short.
enum ManifestUpload {
    static let command = "UPLOAD_MANIFEST"
    static let chunkSize = 64 << 10

    /// Sends `manifest`, the backup_manifest of backup `parent`; returns the bytes sent. A server error becomes
    /// `BackupError.incrementalRefused` naming `parent`; an error of `manifest` is rethrown as it is.
    @discardableResult
    static func send(_ manifest: ByteSource, parent: String, on connection: PostgresConnection,
                     interruption: InterruptSignal?) throws -> Int {
        do {
            try connection.send(command)
            guard try connection.nextResponse(to: command) == .copyIn else {
                throw BackupError.protocolViolation("\(command) answered without a COPY IN")
            }
            let sent = try copy(manifest, to: connection, interruption: interruption)
            while try connection.nextResponse(to: command) != nil {}
            return sent
        } catch PostgresError.serverError(_, let message, _) {
            connection.discardResponses(to: command)
            throw BackupError.incrementalRefused(parent: parent, message: message)
        }
    }

    /// The COPY IN itself: chunks until the source ends, then CopyDone; CopyFail when the source throws.
    private static func copy(_ manifest: ByteSource, to connection: PostgresConnection, interruption: InterruptSignal?) throws -> Int {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var sent = 0
        while true {
            let count: Int
            do {
                try interruption?.check()
                count = try readFully(manifest, into: buffer)
            } catch {
                try? connection.endCopyData(failure: "the client could not read the manifest")
                connection.discardResponses(to: command)
                throw error
            }
            if count == 0 { break }
            try connection.writeCopyData(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            sent += count
        }
        try connection.endCopyData()
        return sent
    }
}
