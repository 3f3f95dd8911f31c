/// The libpq functions tailtown-pitr calls, resolved with dlsym from libpq.so.5.
///
/// Declared here by hand rather than imported from a system-library module: depending on one would
/// link libpq into every process (its pkg-config file says -lpq), which is the cost the
/// dlopen avoids. The signatures follow libpq-fe.h; its enums are C `unsigned int`s
/// (`ConnStatusType`, `ExecStatusType`), the opaque `PGconn` and `PGresult` are `OpaquePointer`s.
/// Only `PostgresConnection` uses this type.
final class LibPQ {
    typealias Connection = OpaquePointer
    typealias Result = OpaquePointer

    // ConnStatusType and ExecStatusType values (libpq-fe.h, stable across libpq.so.5).
    static let connectionOK: UInt32 = 0
    static let emptyQuery: UInt32 = 0
    static let commandOK: UInt32 = 1
    static let tuplesOK: UInt32 = 2
    static let copyOut: UInt32 = 3
    static let copyIn: UInt32 = 4
    static let badResponse: UInt32 = 5
    static let nonfatalError: UInt32 = 6
    static let fatalError: UInt32 = 7
    static let copyBoth: UInt32 = 8
    /// PG_DIAG_SQLSTATE and PG_DIAG_MESSAGE_HINT (postgres_ext.h).
    static let fieldSQLState = Int32(UInt8(ascii: "C"))
    static let fieldHint = Int32(UInt8(ascii: "H"))

    let library: DynamicLibrary
    let connectdb: @convention(c) (UnsafePointer<CChar>?) -> Connection?
    let status: @convention(c) (Connection?) -> UInt32
    let errorMessage: @convention(c) (Connection?) -> UnsafeMutablePointer<CChar>?
    let finish: @convention(c) (Connection?) -> Void
    let serverVersion: @convention(c) (Connection?) -> Int32
    let socket: @convention(c) (Connection?) -> Int32
    let sendQuery: @convention(c) (Connection?, UnsafePointer<CChar>?) -> Int32
    let getResult: @convention(c) (Connection?) -> Result?
    let consumeInput: @convention(c) (Connection?) -> Int32
    let isBusy: @convention(c) (Connection?) -> Int32
    let getCopyData: @convention(c) (Connection?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int32) -> Int32
    let putCopyData: @convention(c) (Connection?, UnsafePointer<CChar>?, Int32) -> Int32
    let putCopyEnd: @convention(c) (Connection?, UnsafePointer<CChar>?) -> Int32
    let flush: @convention(c) (Connection?) -> Int32
    let setNonblocking: @convention(c) (Connection?, Int32) -> Int32
    let freemem: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let resultStatus: @convention(c) (Result?) -> UInt32
    let resultErrorMessage: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let resultErrorField: @convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?
    let ntuples: @convention(c) (Result?) -> Int32
    let nfields: @convention(c) (Result?) -> Int32
    let fname: @convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?
    let getvalue: @convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let getisnull: @convention(c) (Result?, Int32, Int32) -> Int32
    let clear: @convention(c) (Result?) -> Void
    let conninfo: @convention(c) (Connection?) -> UnsafeMutableRawPointer?
    let conninfoFree: @convention(c) (UnsafeMutableRawPointer?) -> Void

    /// `PQconninfoOption` (libpq-fe.h), the elements of what `conninfo` returns: an array ended by an entry without a keyword.
    struct ConninfoOption {
        var keyword: UnsafeMutablePointer<CChar>?
        var envvar: UnsafeMutablePointer<CChar>?
        var compiled: UnsafeMutablePointer<CChar>?
        var val: UnsafeMutablePointer<CChar>?
        var label: UnsafeMutablePointer<CChar>?
        var dispchar: UnsafeMutablePointer<CChar>?
        var dispsize: Int32
    }

    init() throws {
        let library = try DynamicLibrary(["libpq.so.5", "libpq.so"])
        self.library = library
        connectdb = try library.function("PQconnectdb", as: (@convention(c) (UnsafePointer<CChar>?) -> Connection?).self)
        status = try library.function("PQstatus", as: (@convention(c) (Connection?) -> UInt32).self)
        errorMessage = try library.function("PQerrorMessage", as: (@convention(c) (Connection?) -> UnsafeMutablePointer<CChar>?).self)
        finish = try library.function("PQfinish", as: (@convention(c) (Connection?) -> Void).self)
        serverVersion = try library.function("PQserverVersion", as: (@convention(c) (Connection?) -> Int32).self)
        socket = try library.function("PQsocket", as: (@convention(c) (Connection?) -> Int32).self)
        sendQuery = try library.function("PQsendQuery", as: (@convention(c) (Connection?, UnsafePointer<CChar>?) -> Int32).self)
        getResult = try library.function("PQgetResult", as: (@convention(c) (Connection?) -> Result?).self)
        consumeInput = try library.function("PQconsumeInput", as: (@convention(c) (Connection?) -> Int32).self)
        isBusy = try library.function("PQisBusy", as: (@convention(c) (Connection?) -> Int32).self)
        getCopyData = try library.function("PQgetCopyData", as: (@convention(c) (Connection?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int32) -> Int32).self)
        putCopyData = try library.function("PQputCopyData", as: (@convention(c) (Connection?, UnsafePointer<CChar>?, Int32) -> Int32).self)
        putCopyEnd = try library.function("PQputCopyEnd", as: (@convention(c) (Connection?, UnsafePointer<CChar>?) -> Int32).self)
        flush = try library.function("PQflush", as: (@convention(c) (Connection?) -> Int32).self)
        setNonblocking = try library.function("PQsetnonblocking", as: (@convention(c) (Connection?, Int32) -> Int32).self)
        freemem = try library.function("PQfreemem", as: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self)
        resultStatus = try library.function("PQresultStatus", as: (@convention(c) (Result?) -> UInt32).self)
        resultErrorMessage = try library.function("PQresultErrorMessage", as: (@convention(c) (Result?) -> UnsafeMutablePointer<CChar>?).self)
        resultErrorField = try library.function("PQresultErrorField", as: (@convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?).self)
        ntuples = try library.function("PQntuples", as: (@convention(c) (Result?) -> Int32).self)
        nfields = try library.function("PQnfields", as: (@convention(c) (Result?) -> Int32).self)
        fname = try library.function("PQfname", as: (@convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?).self)
        getvalue = try library.function("PQgetvalue", as: (@convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?).self)
        getisnull = try library.function("PQgetisnull", as: (@convention(c) (Result?, Int32, Int32) -> Int32).self)
        clear = try library.function("PQclear", as: (@convention(c) (Result?) -> Void).self)
        conninfo = try library.function("PQconninfo", as: (@convention(c) (Connection?) -> UnsafeMutableRawPointer?).self)
        conninfoFree = try library.function("PQconninfoFree", as: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self)
    }

    /// libpq's messages end with a newline and may span lines ("FATAL: ...\nDETAIL: ...");
    /// our errors are one line.
    static func oneLine(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        let text = String(cString: pointer)
        return text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.libpqTrimmed() }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
    }
}

extension Substring {
    fileprivate func libpqTrimmed() -> String {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
