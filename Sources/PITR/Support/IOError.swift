/// A failed system call on a named path.
public struct IOError: PITRError, Equatable {
    public let operation: String
    public let path: String
    public let code: Int32

    public init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var isNotFound: Bool { code == ENOENT }
    public var isAlreadyExists: Bool { code == EEXIST }

    public var description: String {
        "cannot \(operation) '\(path)': \(String(cString: strerror(code)))"
    }
}
