import PITRSupport

/// One libpq connection to a PostgreSQL server, for simple queries and replication commands.
///
/// Waits happen in `poll` on the connection's socket rather than inside libpq, so that a
/// second descriptor (`interruptDescriptor`, such as a signalfd for Ctrl-C) can end any wait,
/// including a server-side checkpoint that takes minutes. Not thread-safe.
public final class PostgresConnection {
    private let pq: LibPQ
    private var connection: OpaquePointer?

    /// The server's version as a number such as 150004 for 15.4.
    public let serverVersion: Int

    /// When this descriptor becomes readable, the current wait ends with `PostgresError.interrupted`.
    public var interruptDescriptor: Int32?

    /// Connects with a libpq connection string (`"host=/tmp port=5432 replication=database"`
    /// or a `postgresql://` URI); libpq fills what it lacks from PGHOST, PGPORT, PGUSER,
    /// PGPASSWORD, PGDATABASE and ~/.pgpass. Throws `PostgresError.cannotConnect` with libpq's message.
    public init(conninfo: String) throws {
        let pq = try LibPQ()
        let connection = pq.connectdb(conninfo)
        guard let connection else {
            throw PostgresError.cannotConnect(message: "out of memory")
        }
        guard pq.status(connection) == LibPQ.connectionOK else {
            let message = LibPQ.oneLine(pq.errorMessage(connection))
            pq.finish(connection)
            throw PostgresError.cannotConnect(message: message)
        }
        self.pq = pq
        self.connection = connection
        self.serverVersion = Int(pq.serverVersion(connection))
    }

    deinit { close() }

    /// The settings this connection was made with, as the environment variables libpq reads them from (PGHOST,
    /// PGPORT, PGUSER, PGPASSWORD when one was used, PGSSLMODE, ...), leaving out `dbname` and `replication`: what a
    /// PostgreSQL program needs to connect the same way to another database of the server, without a command line
    /// that shows a password.
    public func environment() -> [String: String] {
        var environment: [String: String] = [:]
        for option in settings() {
            if let variable = option.variable { environment[variable] = option.value }
        }
        return environment
    }

    /// A new connection made the same way as this one (host, port, user, password, TLS settings), to `database`,
    /// not a replication connection. Throws `PostgresError.cannotConnect` with libpq's message.
    public func connection(toDatabase database: String) throws -> PostgresConnection {
        // A keyword=value string, each value quoted as libpq's manual says: in single quotes, \ and ' escaped.
        func quoted(_ value: String) -> String {
            "'" + String(value.flatMap { $0 == "\\" || $0 == "'" ? ["\\", $0] : [$0] }) + "'"
        }
        let settings = settings().map { "\($0.keyword)=\(quoted($0.value))" } + ["dbname=\(quoted(database))"]
        return try PostgresConnection(conninfo: settings.joined(separator: " "))
    }

    /// The connection's settings that have a value, but `dbname` and `replication`, with the environment variable of each.
    private func settings() -> [(keyword: String, variable: String?, value: String)] {
        guard let connection, let options = pq.conninfo(connection) else { return [] }
        defer { pq.conninfoFree(options) }
        var settings: [(keyword: String, variable: String?, value: String)] = []
        var option = options.assumingMemoryBound(to: LibPQ.ConninfoOption.self)
        while let keyword = option.pointee.keyword {
            let name = String(cString: keyword)
            if let value = option.pointee.val, !["dbname", "replication"].contains(name) {
                settings.append((name, option.pointee.envvar.map { String(cString: $0) }, String(cString: value)))
            }
            option += 1
        }
        return settings
    }

    /// Closes the connection; a replication command in progress ends on the server. Idempotent.
    public func close() {
        if let connection { pq.finish(connection) }
        connection = nil
    }

    /// Runs `command` with the simple query protocol and returns the rows of its last result set
    /// (no rows for a command without results). Throws `PostgresError.serverError` on an error.
    public func query(_ command: String) throws -> PostgresRows {
        try send(command)
        var rows = PostgresRows(columns: [], values: [])
        var firstError: Error?
        while true {
            do {
                guard let response = try nextResponse(to: command) else { break }
                switch response {
                case .rows(let result): rows = result
                case .commandComplete: break
                case .copyOut:
                    throw PostgresError.unexpectedResponse(command: command, response: "COPY OUT")
                case .copyIn:
                    // CopyFail ends it on the server, so the connection stays usable.
                    try endCopyData(failure: "tailtown-pitr expected no COPY IN from this command")
                    discardResponses(to: command)
                    throw PostgresError.unexpectedResponse(command: command, response: "COPY IN")
                }
            } catch let error as PostgresError {
                if case .serverError = error, firstError == nil {
                    firstError = error
                    continue
                }
                throw error
            }
        }
        if let firstError { throw firstError }
        return rows
    }

    /// Sends `command` without waiting; read what comes back with `nextResponse` and `readCopyData` (or, for a COPY IN,
    /// send with `writeCopyData` and `endCopyData`).
    public func send(_ command: String) throws {
        let connection = try open()
        if pq.sendQuery(connection, command) == 0 {
            throw PostgresError.connectionLost(message: LibPQ.oneLine(pq.errorMessage(connection)))
        }
    }

    /// The next response to a command sent with `send`, waiting for it; nil when the command is done.
    /// A server error is thrown as `PostgresError.serverError` naming `command`.
    public func nextResponse(to command: String) throws -> PostgresResponse? {
        let connection = try open()
        while pq.isBusy(connection) != 0 {
            try waitUntilReadable(connection)
            if pq.consumeInput(connection) == 0 {
                throw PostgresError.connectionLost(message: LibPQ.oneLine(pq.errorMessage(connection)))
            }
        }
        guard let result = pq.getResult(connection) else { return nil }
        defer { pq.clear(result) }
        switch pq.resultStatus(result) {
        case LibPQ.tuplesOK:
            return .rows(rows(of: result))
        case LibPQ.commandOK, LibPQ.emptyQuery:
            return .commandComplete
        case LibPQ.copyOut:
            return .copyOut
        case LibPQ.copyIn:
            return .copyIn
        default:
            let sqlState = pq.resultErrorField(result, LibPQ.fieldSQLState).map { String(cString: $0) }
            var message = LibPQ.oneLine(pq.resultErrorMessage(result))
            if message.isEmpty { message = LibPQ.oneLine(pq.errorMessage(connection)) }
            throw PostgresError.serverError(command: command, message: message, sqlState: sqlState)
        }
    }

    /// Reads and drops what is left of the responses to `command` after an error, so that the connection takes the
    /// next command (libpq accepts one only after the last result, nil); stops at a lost connection.
    public func discardResponses(to command: String) {
        while true {
            do {
                if try nextResponse(to: command) == nil { return }
            } catch PostgresError.serverError {
                continue
            } catch {
                return
            }
        }
    }

    /// Reads the next CopyData message of a COPY OUT in progress and passes its bytes to `body`
    /// (valid only during the call). Returns false at the end of the COPY; then `nextResponse`
    /// gives what follows it.
    public func readCopyData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        let connection = try open()
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let count = pq.getCopyData(connection, &buffer, 1)
            if count > 0, let buffer {
                defer { pq.freemem(buffer) }
                try body(UnsafeRawBufferPointer(start: buffer, count: Int(count)))
                return true
            }
            switch count {
            case 0:
                try waitUntilReadable(connection)
                if pq.consumeInput(connection) == 0 {
                    throw PostgresError.connectionLost(message: LibPQ.oneLine(pq.errorMessage(connection)))
                }
            case -1:
                return false
            default:
                throw PostgresError.connectionLost(message: LibPQ.oneLine(pq.errorMessage(connection)))
            }
        }
    }

    private func open() throws -> OpaquePointer {
        guard let connection else { throw PostgresError.connectionLost(message: "the connection is closed") }
        return connection
    }

    /// Sends `bytes` as CopyData messages of the COPY IN in progress (`nextResponse` gave `.copyIn`), all of them
    /// before it returns. libpq runs in nonblocking mode meanwhile, so that the wait for the socket happens in
    /// `poll` like every other wait, and `interruptDescriptor` ends it.
    public func writeCopyData(_ bytes: UnsafeRawBufferPointer) throws {
        let connection = try open()
        // One message holds at most 1 GiB; smaller ones keep libpq's output buffer small.
        let messageSize = 1 << 20
        var offset = 0
        try nonblocking(connection) {
            while offset < bytes.count {
                let count = min(messageSize, bytes.count - offset)
                let start = bytes.baseAddress.map { ($0 + offset).assumingMemoryBound(to: CChar.self) }
                try putAndFlush(connection) { pq.putCopyData(connection, start, Int32(count)) }
                offset += count
            }
        }
    }

    /// Ends the COPY IN in progress: CopyDone when `failure` is nil, else CopyFail with `failure`, which makes the
    /// server discard what it received and fail the command. Read the command's result with `nextResponse` then.
    public func endCopyData(failure: String? = nil) throws {
        let connection = try open()
        try nonblocking(connection) {
            if let failure {
                try putAndFlush(connection) { pq.putCopyEnd(connection, failure) }
            } else {
                try putAndFlush(connection) { pq.putCopyEnd(connection, nil) }
            }
        }
    }

    /// Runs `body` with libpq in nonblocking mode, back in blocking mode after it (where `query` and `send` expect it).
    private func nonblocking(_ connection: OpaquePointer, _ body: () throws -> Void) throws {
        guard pq.setNonblocking(connection, 1) == 0 else {
            throw PostgresError.connectionLost(message: LibPQ.oneLine(pq.errorMessage(connection)))
        }
        // `send` always flushes everything before it returns, so the switch back never has output to wait for.
        defer { _ = pq.setNonblocking(connection, 0) }
        try body()
    }

    /// Queues one message with `put` (libpq: 1 queued, 0 no room yet, -1 failed), then flushes all output: while
    /// libpq cannot send, waits for the socket, reading what the server sends meanwhile, as libpq's manual asks.
    private func putAndFlush(_ connection: OpaquePointer, _ put: () -> Int32) throws {
        while true {
            let queued = put()
            if queued == 1 { break }
            guard queued == 0 else { throw PostgresError.connectionLost(message: LibPQ.oneLine(pq.errorMessage(connection))) }
            try flushOrWait(connection)
        }
        while try flushOrWait(connection) {}
    }

    /// Flushes what libpq holds; returns false once nothing is left, true after waiting for the socket.
    @discardableResult
    private func flushOrWait(_ connection: OpaquePointer) throws -> Bool {
        let left = pq.flush(connection)
        if left == 0 { return false }
        guard left > 0 else { throw PostgresError.connectionLost(message: LibPQ.oneLine(pq.errorMessage(connection))) }
        if try waitForSocket(connection, events: Int16(POLLIN | POLLOUT)) & Int16(POLLIN) != 0, pq.consumeInput(connection) == 0 {
            throw PostgresError.connectionLost(message: LibPQ.oneLine(pq.errorMessage(connection)))
        }
        return true
    }

    private func waitUntilReadable(_ connection: OpaquePointer) throws {
        try waitForSocket(connection, events: Int16(POLLIN))
    }

    /// Waits until the socket has one of `events` (or an error or hang-up) and returns what it has.
    @discardableResult
    private func waitForSocket(_ connection: OpaquePointer, events: Int16) throws -> Int16 {
        let socket = pq.socket(connection)
        guard socket >= 0 else {
            throw PostgresError.connectionLost(message: LibPQ.oneLine(pq.errorMessage(connection)))
        }
        var descriptors = [pollfd(fd: socket, events: events, revents: 0)]
        if let interruptDescriptor {
            descriptors.append(pollfd(fd: interruptDescriptor, events: Int16(POLLIN), revents: 0))
        }
        while true {
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw PostgresError.connectionLost(message: "poll: \(String(cString: strerror(errno)))")
            }
            if descriptors.count > 1, descriptors[1].revents != 0 { throw PostgresError.interrupted }
            if descriptors[0].revents != 0 { return descriptors[0].revents }
        }
    }

    private func rows(of result: OpaquePointer) -> PostgresRows {
        let fieldCount = pq.nfields(result)
        let rowCount = pq.ntuples(result)
        let columns = (0..<fieldCount).map { field in pq.fname(result, field).map { String(cString: $0) } ?? "" }
        let values: [[String?]] = (0..<rowCount).map { row in
            (0..<fieldCount).map { field in
                if pq.getisnull(result, row, field) != 0 { return nil }
                return pq.getvalue(result, row, field).map { String(cString: $0) }
            }
        }
        return PostgresRows(columns: columns, values: values)
    }
}

/// What the server answered to a command, one result at a time.
public enum PostgresResponse: Equatable {
    case rows(PostgresRows)
    case commandComplete
    /// A COPY OUT started: read it with `PostgresConnection.readCopyData`.
    case copyOut
    /// A COPY IN started: send with `PostgresConnection.writeCopyData`, end with `endCopyData`.
    case copyIn
}

/// A result set in text format; nil values are SQL NULLs.
public struct PostgresRows: Equatable, Sendable {
    public let columns: [String]
    public let values: [[String?]]

    public init(columns: [String], values: [[String?]]) {
        self.columns = columns
        self.values = values
    }

    /// The value of `column` in row `row`, nil when NULL or when there is no such column or row.
    public func value(_ column: String, row: Int = 0) -> String? {
        guard let index = columns.firstIndex(of: column), row < values.count else { return nil }
        return values[row][index]
    }
}

public enum PostgresError: PITRError, Equatable {
    case cannotConnect(message: String)
    case serverError(command: String, message: String, sqlState: String?)
    case connectionLost(message: String)
    case unexpectedResponse(command: String, response: String)
    case interrupted

    public var description: String {
        switch self {
        case .cannotConnect(let message):
            "cannot connect to PostgreSQL: \(message)"
        case .serverError(let command, let message, let sqlState):
            "PostgreSQL refused \(Self.verb(of: command)): \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
        case .connectionLost(let message):
            "lost the connection to PostgreSQL: \(message)"
        case .unexpectedResponse(let command, let response):
            "PostgreSQL answered \(Self.verb(of: command)) with an unexpected \(response)"
        case .interrupted:
            "interrupted while waiting for PostgreSQL"
        }
    }

    /// The command's first word (IDENTIFY_SYSTEM, BASE_BACKUP, SELECT), enough to name it.
    private static func verb(of command: String) -> String {
        String(command.split(separator: " ").first ?? Substring(command))
    }
}
