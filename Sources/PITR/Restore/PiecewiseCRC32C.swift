import PITRNative

/// The CRC-32C of a file written in pieces, in any order, each byte once: what a chain's rebuild writes into a file
/// (the newest backup's blocks first, then older backups' in their order), so that its checksum is known without
/// reading the file back. The bytes written so far are kept as sorted, disjoint ranges, each with its checksum; a
/// write that continues a range extends its checksum, and two ranges that meet are joined (`CRC32C.combine`). What
/// no write covers is zeros. A range is 24 bytes; the usual single one takes no allocation.
struct PiecewiseCRC32C {
    private struct Piece {
        var start: Int
        var end: Int
        var crc: UInt32
    }

    private enum Storage {
        case one(Piece)
        /// None, two and more, or `overlapped`.
        case many([Piece])
    }

    private var storage: Storage = .many([])
    /// Whether a write covered bytes already written: the checksum is then unknown, and the file must be read.
    private var overlapped = false

    private var pieces: [Piece] {
        get {
            switch storage {
            case .one(let piece): [piece]
            case .many(let pieces): pieces
            }
        }
        set { storage = newValue.count == 1 ? .one(newValue[0]) : .many(newValue) }
    }

    /// Records `bytes` written at `offset`.
    mutating func add(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard !bytes.isEmpty, !overlapped else { return }
        if case .one(var piece) = storage, piece.end == offset {
            piece.crc = Self.extend(piece.crc, bytes)
            piece.end += bytes.count
            storage = .one(piece)
            return
        }
        var pieces = pieces
        storage = .many([])  // the array alone holds the pieces, so it changes in place
        defer { self.pieces = pieces }
        let end = offset + bytes.count
        // The first piece starting after `offset`: the one before it is the only one that can end at or after `offset`.
        var low = 0, high = pieces.count
        while low < high {
            let middle = (low + high) / 2
            if pieces[middle].start <= offset { low = middle + 1 } else { high = middle }
        }
        if (low > 0 && pieces[low - 1].end > offset) || (low < pieces.count && pieces[low].start < end) {
            overlapped = true
            pieces = []
            return
        }
        var at = low - 1
        if at >= 0, pieces[at].end == offset {
            pieces[at].crc = Self.extend(pieces[at].crc, bytes)
            pieces[at].end = end
        } else {
            at = low
            pieces.insert(Piece(start: offset, end: end, crc: CRC32C.checksum(bytes)), at: at)
        }
        if at + 1 < pieces.count, pieces[at + 1].start == end {
            let next = pieces.remove(at: at + 1)
            pieces[at].crc = CRC32C.combine(pieces[at].crc, next.crc, secondLength: next.end - next.start)
            pieces[at].end = next.end
        }
    }

    /// The checksum of the file's first `length` bytes, zeros where nothing was written; nil when writes overlapped
    /// or reached past `length`.
    func value(length: Int) -> UInt32? {
        if overlapped { return nil }
        var crc: UInt32 = 0, covered = 0
        for piece in pieces {
            guard piece.end <= length else { return nil }
            crc = CRC32C.combine(CRC32C.appendingZeros(to: crc, count: piece.start - covered), piece.crc, secondLength: piece.end - piece.start)
            covered = piece.end
        }
        return CRC32C.appendingZeros(to: crc, count: length - covered)
    }

    private static func extend(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var running = CRC32C(continuing: crc)
        running.update(bytes)
        return running.value
    }
}
