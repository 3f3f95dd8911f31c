import PITRSupport

/// Every regular file of a restored data directory and its tablespaces, by its path in backup_manifest
/// (`pg_tblspc/OID/...` for a tablespace's, reached through the location given for OID), in sorted order, by
/// descriptor; what `skip` names (a folder: with everything in it) is passed over.
enum RestoredFiles {
    static func walk(_ directory: OpenDirectory, tablespaces: [UInt32: OpenDirectory], skip: (String) -> Bool,
                     _ body: (_ path: String, _ directory: OpenDirectory, _ name: String, _ info: stat) throws -> Void) throws {
        try walk(directory, prefix: "", tablespaces: tablespaces, skip: skip, body)
    }

    private static func walk(_ directory: OpenDirectory, prefix: String, tablespaces: [UInt32: OpenDirectory], skip: (String) -> Bool,
                             _ body: (String, OpenDirectory, String, stat) throws -> Void) throws {
        for name in try directory.list().sorted() {
            let path = prefix + name
            if skip(path) { continue }
            guard let info = directory.status(name) else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(try directory.directory(name), prefix: path + "/", tablespaces: tablespaces, skip: skip, body)
            case S_IFLNK:
                guard prefix == "pg_tblspc/", let oid = UInt32(name), let location = tablespaces[oid] else {
                    throw RestoreError.manifestMismatch(file: path, reason: "a symlink that is not a tablespace of the backup")
                }
                try walk(location, prefix: path + "/", tablespaces: tablespaces, skip: skip, body)
            case S_IFREG:
                try body(path, directory, name, info)
            default:
                throw RestoreError.manifestMismatch(file: path, reason: "neither a file nor a folder")
            }
        }
    }

    /// Feeds the whole file `name` to `update` in 1 MiB reads; returns its size.
    static func read(_ name: String, in directory: OpenDirectory, buffer: inout [UInt8], _ update: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let file = try directory.openForReading(name)
        var size = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
            if count == 0 { break }
            try buffer.withUnsafeBytes { try update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            size += count
        }
        return size
    }
}
