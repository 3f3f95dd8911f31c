import Testing
@testable import PITRPipeline
@testable import PITRSupport

/// A copy that fails its checks is replaced by another copy, without handing anything twice and never after
/// unauthenticated bytes were handed on.
@Suite struct ObjectOtherCopyTests {
    typealias Tamper = ObjectTamperTests

    /// Decodes `object` with `other` as the other copy: the bytes handed on, the warnings, or the error.
    func decode(_ object: [UInt8], other: [UInt8], key: MasterKey?) -> (bytes: [UInt8], warnings: [String], error: ObjectFormatError?) {
        let sink = MemorySink()
        var warnings: [String] = []
        let copy = OtherCopy(object: "s3://second/wal/1", open: { MemorySource(other) }, warn: { warnings.append($0) })
        do {
            _ = try ObjectDecoder(key: key).decode(from: MemorySource(object), to: sink, object: "file:///first/wal/1",
                                                   identity: .test, otherCopy: copy)
            return (sink.bytes, warnings, nil)
        } catch {
            return (sink.bytes, warnings, error as? ObjectFormatError)
        }
    }

    @Test func anEncryptedCopyThatFailsMidwayIsFinishedFromTheOther() {
        // A chunk in the middle altered: the chunks before it were handed on, the rest comes from the other copy.
        var altered = Tamper.encrypted
        altered[48 + 2 * Tamper.stored + 100] ^= 0x01
        let midway = decode(altered, other: Tamper.encrypted, key: Tamper.key)
        #expect(midway.error == nil && midway.bytes == Tamper.input)
        #expect(midway.warnings == ["object file:///first/wal/1 failed authentication at chunk 2: it was altered, truncated or reordered, "
                                    + "or copied from another name, cluster or backup: read from s3://second/wal/1 instead"])
        // Cut short, and another key id in the header.
        #expect(decode(Array(Tamper.encrypted.prefix(Tamper.encrypted.count / 2)), other: Tamper.encrypted, key: Tamper.key).bytes == Tamper.input)
        var otherKeyID = Tamper.encrypted
        otherKeyID.replaceSubrange(8..<16, with: [UInt8](repeating: 0xAB, count: 8))
        #expect(decode(otherKeyID, other: Tamper.encrypted, key: Tamper.key).bytes == Tamper.input)
    }

    @Test func aPlainCopyFallsBackOnlyBeforeAnyByteWasHandedOn() {
        // Its digest fails at its end, after its bytes went on unauthenticated: the failure stands.
        var altered = Tamper.plain
        altered[48 + 1000] ^= 0x01
        let late = decode(altered, other: Tamper.plain, key: nil)
        #expect(late.error == .digestMismatch(object: "file:///first/wal/1") && late.warnings.isEmpty)
        // Its header damaged, nothing handed on yet: read from the other.
        let early = decode(Array(altered.prefix(20)), other: Tamper.plain, key: nil)
        #expect(early.error == nil && early.bytes == Tamper.input && early.warnings.count == 1)
    }

    @Test func whenTheOtherCopyFailsTooTheFirstFailureIsThrown() {
        var altered = Tamper.encrypted
        altered[48 + 100] ^= 0x01
        let both = decode(altered, other: altered, key: Tamper.key)
        #expect(both.error == .authenticationFailed(object: "file:///first/wal/1", chunk: 0) && both.warnings.isEmpty)
    }
}
