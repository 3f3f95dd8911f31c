import CCrypto

/// AES-256-GCM over one chunk at a time (12-byte nonce, 16-byte tag), reusing one
/// EVP_CIPHER_CTX: the key schedule is set once per key, each chunk only sets its nonce.
public final class AES256GCM {
    public static let keySize = 32
    public static let nonceSize = 12
    public static let tagSize = 16

    private enum Direction { case none, seal, open }

    private let algorithm: OpaquePointer
    private let context: OpaquePointer
    private var key: [UInt8]
    private var direction = Direction.none
    /// Where the Final calls may write: GCM emits nothing there, but the pointer must be valid.
    private let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)

    public init(key: [UInt8]) throws {
        precondition(key.count == AES256GCM.keySize, "AES-256 needs a 32-byte key")
        algorithm = try OpenSSL.fetched(EVP_CIPHER_fetch(nil, "AES-256-GCM", nil), "AES-256-GCM")
        guard let context = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_free(algorithm)
            throw OpenSSL.error("EVP_CIPHER_CTX_new")
        }
        self.context = context
        self.key = key
    }

    deinit {
        EVP_CIPHER_CTX_free(context)
        EVP_CIPHER_free(algorithm)
        scratch.deallocate()
    }

    /// Switches to another key; the next seal or open schedules it.
    public func rekey(_ newKey: [UInt8]) {
        precondition(newKey.count == AES256GCM.keySize, "AES-256 needs a 32-byte key")
        key = newKey
        direction = .none
    }

    /// Encrypts `data` in place and writes the tag into `tag` (16 bytes).
    public func seal(_ data: UnsafeMutableRawBufferPointer, nonce: UnsafeRawBufferPointer,
                     aad: UnsafeRawBufferPointer, tag: UnsafeMutableRawBufferPointer) throws {
        precondition(nonce.count == AES256GCM.nonceSize && tag.count == AES256GCM.tagSize)
        try start(.seal, nonce: nonce)
        var length: Int32 = 0
        if aad.count > 0 {
            try OpenSSL.check(EVP_EncryptUpdate(context, nil, &length, bytes(aad), Int32(aad.count)), "EVP_EncryptUpdate (AAD)")
        }
        if data.count > 0 {
            try OpenSSL.check(EVP_EncryptUpdate(context, mutableBytes(data), &length, bytes(UnsafeRawBufferPointer(data)), Int32(data.count)),
                              "EVP_EncryptUpdate")
        }
        try OpenSSL.check(EVP_EncryptFinal_ex(context, scratch, &length), "EVP_EncryptFinal_ex")
        try OpenSSL.check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(AES256GCM.tagSize), tag.baseAddress),
                          "EVP_CTRL_GCM_GET_TAG")
    }

    /// Decrypts `data` in place; returns false (and leaves garbage in `data`) when the tag,
    /// the nonce, the AAD or the ciphertext is not what was sealed.
    public func open(_ data: UnsafeMutableRawBufferPointer, nonce: UnsafeRawBufferPointer,
                     aad: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer) throws -> Bool {
        precondition(nonce.count == AES256GCM.nonceSize && tag.count == AES256GCM.tagSize)
        try start(.open, nonce: nonce)
        var length: Int32 = 0
        if aad.count > 0 {
            try OpenSSL.check(EVP_DecryptUpdate(context, nil, &length, bytes(aad), Int32(aad.count)), "EVP_DecryptUpdate (AAD)")
        }
        if data.count > 0 {
            try OpenSSL.check(EVP_DecryptUpdate(context, mutableBytes(data), &length, bytes(UnsafeRawBufferPointer(data)), Int32(data.count)),
                              "EVP_DecryptUpdate")
        }
        try OpenSSL.check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(AES256GCM.tagSize),
                                              UnsafeMutableRawPointer(mutating: tag.baseAddress)),
                          "EVP_CTRL_GCM_SET_TAG")
        let verified = EVP_DecryptFinal_ex(context, scratch, &length) == 1
        // A failed tag check leaves an entry in OpenSSL's error queue; it is not an error here.
        if !verified { ERR_clear_error() }
        return verified
    }

    private func start(_ wanted: Direction, nonce: UnsafeRawBufferPointer) throws {
        let result: Int32
        if direction != wanted {
            result = key.withUnsafeBufferPointer { key in
                EVP_CipherInit_ex2(context, algorithm, key.baseAddress, bytes(nonce), wanted == .seal ? 1 : 0, nil)
            }
            direction = wanted
        } else {
            result = EVP_CipherInit_ex2(context, nil, nil, bytes(nonce), -1, nil)
        }
        if result != 1 {
            direction = .none
            throw OpenSSL.error("EVP_CipherInit_ex2 (AES-256-GCM)")
        }
    }

    private func bytes(_ buffer: UnsafeRawBufferPointer) -> UnsafePointer<UInt8>? {
        buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
    }

    private func mutableBytes(_ buffer: UnsafeMutableRawBufferPointer) -> UnsafeMutablePointer<UInt8>? {
        buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
    }
}
