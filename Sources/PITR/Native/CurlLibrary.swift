import CCurl

/// The libcurl functions tailtown-pitr calls, resolved once from the dlopen'ed library.
///
/// libcurl is not linked (see `DynamicLibrary`): a file:// repository never loads it.
/// `setopt` and `getinfo` are variadic in C, so they are kept as raw addresses and called
/// through the typed shims in CCurl/shim.h.
final class CurlLibrary {
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

    init() throws {
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
