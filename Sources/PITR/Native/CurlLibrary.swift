import CCurl
import PITRSupport

/// The libcurl functions tailtown-pitr calls, resolved once per process from the dlopen'ed library.
///
/// libcurl is not linked (see `DynamicLibrary`): a file:// repository never loads it.
/// `setopt` and `getinfo` are variadic in C, so they are kept as raw addresses and called
/// through the typed shims in CCurl/shim.h.
///
/// Loading it costs a process about 7 ms (its 30 libraries), which an S3 client spends on a thread of its own
/// (`loadAhead`) while the process encodes the file it will send. Only the loading: OpenSSL's set-up
/// (`curl_global_init`, at the first `curl_easy_init`) stays on the caller's thread, as libcrypto's exit handler
/// must never run while another thread is inside it; a process exiting during a dlopen waits for it (the loader's lock).
final class CurlLibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer
    typealias StringList = UnsafeMutablePointer<curl_slist>

    private let library: DynamicLibrary
    let easyInit: @convention(c) () -> Handle?
    let easyCleanup: @convention(c) (Handle?) -> Void
    let easyReset: @convention(c) (Handle?) -> Void
    let easyPerform: @convention(c) (Handle?) -> CURLcode
    let easyStrerror: @convention(c) (CURLcode) -> UnsafePointer<CChar>?
    let slistAppend: @convention(c) (StringList?, UnsafePointer<CChar>?) -> StringList?
    let slistFreeAll: @convention(c) (StringList?) -> Void
    let setopt: UnsafeMutableRawPointer
    let getinfo: UnsafeMutableRawPointer

    /// The process's library, loaded by the first caller; a caller meanwhile waits for it.
    static func loaded() throws -> CurlLibrary {
        try Loader.shared.library()
    }

    /// Starts loading the library on a thread of its own, if nothing has yet; `loaded()` then waits only for what is
    /// left of it. Never fails: a failure is `loaded()`'s to report.
    static func loadAhead() {
        Loader.shared.startAhead()
    }

    private init() throws {
        library = try DynamicLibrary(["libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"])
        easyInit = try library.function("curl_easy_init", as: (@convention(c) () -> Handle?).self)
        easyCleanup = try library.function("curl_easy_cleanup", as: (@convention(c) (Handle?) -> Void).self)
        easyReset = try library.function("curl_easy_reset", as: (@convention(c) (Handle?) -> Void).self)
        easyPerform = try library.function("curl_easy_perform", as: (@convention(c) (Handle?) -> CURLcode).self)
        easyStrerror = try library.function("curl_easy_strerror", as: (@convention(c) (CURLcode) -> UnsafePointer<CChar>?).self)
        slistAppend = try library.function("curl_slist_append", as: (@convention(c) (StringList?, UnsafePointer<CChar>?) -> StringList?).self)
        slistFreeAll = try library.function("curl_slist_free_all", as: (@convention(c) (StringList?) -> Void).self)
        setopt = try library.function("curl_easy_setopt", as: UnsafeMutableRawPointer.self)
        getinfo = try library.function("curl_easy_getinfo", as: UnsafeMutableRawPointer.self)
    }

    func message(_ code: CURLcode) -> String {
        easyStrerror(code).map { String(cString: $0) } ?? "curl error \(code.rawValue)"
    }
}

extension CurlLibrary {
    /// The one load of the process: by the first caller of `library()`, or ahead on a thread of its own.
    private final class Loader: @unchecked Sendable {
        static let shared = Loader()
        private let lock = ConditionLock()
        // Guarded by `lock`.
        private var result: Result<CurlLibrary, Error>?
        private var loading = false

        func library() throws -> CurlLibrary {
            let mine: Bool = lock.locked {
                while loading { lock.wait() }
                guard result == nil else { return false }
                loading = true
                return true
            }
            if mine { load() }
            return try lock.locked { result! }.get()
        }

        func startAhead() {
            let mine: Bool = lock.locked {
                guard !loading, result == nil else { return false }
                loading = true
                return true
            }
            guard mine else { return }
            do {
                try WorkerThread("loading libcurl") { self.load() }.detach()
            } catch {
                lock.locked {
                    loading = false
                    lock.broadcast()
                }
            }
        }

        private func load() {
            let loaded = Result { try CurlLibrary() }
            lock.locked {
                result = loaded
                loading = false
                lock.broadcast()
            }
        }
    }
}
