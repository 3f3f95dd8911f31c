import CCrypto

/// Helpers shared by the libcrypto wrappers: error reporting and parameter names.
enum OpenSSL {
    /// Builds the error for a failed libcrypto call, draining OpenSSL's error queue so the
    /// next failure does not report a stale reason.
    static func error(_ operation: String) -> NativeError {
        var message = ""
        var buffer = [CChar](repeating: 0, count: 256)
        while case let code = ERR_get_error(), code != 0 {
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(cString: buffer)
            message = message.isEmpty ? text : message + "; " + text
        }
        return .library(library: "libcrypto", operation: operation,
                        message: message.isEmpty ? "no reason given" : message)
    }

    /// Throws the OpenSSL error unless `result` is 1 (libcrypto's success).
    static func check(_ result: Int32, _ operation: String) throws {
        if result != 1 { throw error(operation) }
    }

    /// A C string that lives as long as the program, for OSSL_PARAM keys and names
    /// (OSSL_PARAM keeps the pointer, not a copy).
    static func name(_ text: StaticString) -> UnsafeMutablePointer<CChar> {
        UnsafeMutableRawPointer(mutating: text.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// Fetches an algorithm implementation, or throws naming it.
    static func fetched(_ pointer: OpaquePointer?, _ what: String) throws -> OpaquePointer {
        guard let pointer else { throw error("fetching \(what)") }
        return pointer
    }
}

/// libcrypto's set-up for the whole process.
public enum CryptoLibrary {
    /// Initialises libcrypto without its exit handler, which frees every table the process built (about 0.25 ms of
    /// each wal-push and wal-fetch, for memory the process's end gives back anyway). Only the first initialisation
    /// chooses: call it first thing in main, before anything uses libcrypto.
    public static func initialiseWithoutCleanupAtExit() {
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
    }
}
