import PITRSupport

/// A shared library opened with dlopen on first use rather than linked.
///
/// libpq pulls in about 25 shared libraries; linked, every wal-push and wal-fetch would pay the
/// dynamic loader for them though they never call it (only base backups and dumps do). Its
/// wrapper resolves the functions it uses through this type.
public final class DynamicLibrary {
    public let name: String
    private let handle: UnsafeMutableRawPointer

    /// Opens the first of `candidates` (sonames such as "libpq.so.5") that loads.
    public init(_ candidates: [String]) throws {
        var lastError = "no candidates"
        for candidate in candidates {
            if let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL) {
                self.handle = handle
                self.name = candidate
                return
            }
            lastError = dlerror().map { String(cString: $0) } ?? "dlopen failed"
        }
        throw DynamicLibraryError.cannotLoad(library: candidates.first ?? "", reason: lastError)
    }

    /// The function named `symbol`, typed as `type` (an `@convention(c)` function type
    /// matching the C declaration exactly).
    public func function<T>(_ symbol: String, as type: T.Type) throws -> T {
        guard let address = dlsym(handle, symbol) else {
            throw DynamicLibraryError.missingSymbol(library: name, symbol: symbol)
        }
        return unsafeBitCast(address, to: type)
    }
}

public enum DynamicLibraryError: PITRError {
    case cannotLoad(library: String, reason: String)
    case missingSymbol(library: String, symbol: String)

    public var description: String {
        switch self {
        case .cannotLoad(let library, let reason):
            "cannot load \(library): \(reason); install it (apt-get install libpq5)"
        case .missingSymbol(let library, let symbol):
            "\(library) has no function \(symbol): it is too old for tailtown-pitr"
        }
    }
}
