import PITRSupport

/// The checks made before a segment or `.partial` file is archived: it must be the WAL of
/// this cluster, the segment its name says, and whole. Each mismatch is its own `WALError`
/// naming the file and both values.
extension WALPageHeader {
    /// Checks this header, read from `file` of `fileSize` bytes named `name`, against `cluster`;
    /// returns the segment size the file declares.
    ///
    /// A `.partial` file is checked the same way: PostgreSQL leaves it at the full segment size.
    /// The header's timeline may be older than the name's: the first segment of a new timeline
    /// begins with the copied tail of its parent, so only a later timeline is refused.
    public func validate(as name: WALSegmentName, fileSize: Int, cluster: ClusterIdentity, file: String) throws -> WALSegmentSize {
        guard let fileVersion = majorVersion else {
            throw WALError.unknownPageMagic(file: file, magic: magic)
        }
        guard fileVersion == cluster.majorVersion else {
            throw WALError.pageMagicMismatch(file: file, fileVersion: fileVersion, clusterVersion: cluster.majorVersion)
        }
        guard isLong else { throw WALError.missingLongHeader(file: file, info: info) }
        guard systemIdentifier == cluster.systemIdentifier else {
            throw WALError.systemIdentifierMismatch(file: file, fileSystem: systemIdentifier, clusterSystem: cluster.systemIdentifier)
        }
        guard let segmentSize = try? WALSegmentSize(bytes: UInt64(segmentSizeBytes)) else {
            throw WALError.invalidHeaderSegmentSize(file: file, bytes: segmentSizeBytes)
        }
        guard blockSize >= 1024, blockSize <= 65536, blockSize & (blockSize - 1) == 0 else {
            throw WALError.invalidHeaderBlockSize(file: file, bytes: blockSize)
        }
        guard UInt64(fileSize) == segmentSize.bytes else {
            throw WALError.fileSizeMismatch(file: file, fileBytes: fileSize, segmentSize: segmentSize)
        }
        guard UInt64(name.low) < segmentSize.segmentsPerXLogID else {
            throw WALError.segmentNameOutOfRange(name.fileName, segmentSize: segmentSize)
        }
        let expected = name.startLSN(segmentSize)
        guard pageAddress == expected else {
            throw WALError.pageAddressMismatch(file: file, found: pageAddress, expected: expected)
        }
        guard timeline.rawValue != 0, timeline <= name.timeline else {
            throw WALError.timelineMismatch(file: file, headerTimeline: timeline, nameTimeline: name.timeline)
        }
        return segmentSize
    }

    /// Reads and checks the header of an open segment or `.partial` file; returns its segment size.
    public static func validateSegment(_ file: SystemFile, as name: WALSegmentName, cluster: ClusterIdentity) throws -> WALSegmentSize {
        let header = try WALPageHeader(reading: file)
        return try header.validate(as: name, fileSize: try file.size(), cluster: cluster, file: file.path)
    }
}
