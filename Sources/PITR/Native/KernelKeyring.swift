import CKeyring
import PITRSupport

/// The user's keyring in the kernel's key retention service (keyrings(7)): secrets that several
/// processes of one user share for a while without a file. Keys are of type "user", readable and
/// changeable by their possessor and by processes of the same uid only (no group, no others),
/// and expire after a timeout. This is the one place that makes the keyring system calls.
///
/// A process possesses only what its own keyrings reach, and a server's children (PostgreSQL's archiver
/// and startup process) may have a session keyring that does not reach the user keyring: without
/// possession a new key's creator could not even set its timeout. So each call first links the user
/// keyring into the process keyring, and a key is made complete (timeout, permissions) in the process
/// keyring before it is linked into the user keyring, where it is never found without its timeout.
public enum KernelKeyring {
    /// KEY_POS_* (all six rights) and KEY_USR_VIEW|READ|WRITE|SEARCH|SETATTR (keyutils.h; not in linux/keyctl.h).
    static let permissions: UInt32 = 0x3f00_0000 | 0x0001_0000 | 0x0002_0000 | 0x0004_0000 | 0x0008_0000 | 0x0020_0000
    /// The most a cached secret may hold; a "user" key holds up to 32767 bytes.
    static let maximumSize = 4096

    /// A keyring call that failed, with its errno.
    public struct Failure: PITRError, Equatable {
        public let operation: String
        public let code: Int32
        public var description: String { "the kernel keyring refused \(operation): \(String(cString: strerror(code)))" }
    }

    /// Stores `secret` under `description` in the user keyring (replacing one of the same description),
    /// limited to its owner's uid, expiring after `seconds`. Throws `Failure` (ENOSYS or EPERM where the
    /// keyring is not available, EDQUOT when the user's key quota is full).
    public static func store(_ secret: [UInt8], description: String, seconds: UInt32) throws {
        precondition(secret.count <= maximumSize && seconds > 0)
        possessUserKeyring()
        let key = secret.withUnsafeBytes { tt_add_key("user", description, $0.baseAddress, $0.count, KEY_SPEC_PROCESS_KEYRING) }
        guard key >= 0 else { throw Failure(operation: "add_key", code: errno) }
        for (operation, result) in [("KEYCTL_SET_TIMEOUT", { tt_keyctl_set_timeout(Int32(key), seconds) }),
                                    ("KEYCTL_SETPERM", { tt_keyctl_setperm(Int32(key), permissions) }),
                                    ("KEYCTL_LINK", { tt_keyctl_link(Int32(key), KEY_SPEC_USER_KEYRING) })] {
            guard result() == 0 else {
                let code = errno
                _ = tt_keyctl_invalidate(Int32(key))
                throw Failure(operation: operation, code: code)
            }
        }
    }

    /// Links the user keyring into the process keyring (made on first use, gone with the process), so this
    /// process possesses the keys it stores there. A failure shows in the call that needed possession.
    private static func possessUserKeyring() {
        _ = tt_keyctl_link(KEY_SPEC_USER_KEYRING, KEY_SPEC_PROCESS_KEYRING)
    }

    /// The secret stored under `description` in the user keyring, or nil when there is none
    /// (never stored, expired or removed). Throws `Failure` when the keyring cannot be searched
    /// or read for another reason.
    public static func load(description: String) throws -> [UInt8]? {
        possessUserKeyring()
        let key = tt_keyctl_search(KEY_SPEC_USER_KEYRING, "user", description)
        guard key >= 0 else {
            let code = errno
            if code == ENOKEY || code == EKEYEXPIRED || code == EKEYREVOKED { return nil }
            throw Failure(operation: "KEYCTL_SEARCH", code: code)
        }
        var buffer = [UInt8](repeating: 0, count: maximumSize)
        let length = buffer.withUnsafeMutableBytes { tt_keyctl_read(Int32(key), $0.baseAddress, $0.count) }
        guard length >= 0 else {
            let code = errno
            if code == EKEYEXPIRED || code == EKEYREVOKED || code == ENOKEY { return nil }
            throw Failure(operation: "KEYCTL_READ", code: code)
        }
        guard length <= buffer.count else { return nil }
        return Array(buffer.prefix(length))
    }

    /// Removes the key stored under `description`, if any.
    public static func remove(description: String) {
        possessUserKeyring()
        let key = tt_keyctl_search(KEY_SPEC_USER_KEYRING, "user", description)
        if key >= 0 { _ = tt_keyctl_invalidate(Int32(key)) }
    }
}
