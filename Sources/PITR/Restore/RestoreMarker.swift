import PITRSupport

/// `<target>/tailtown-restore.in-progress`: written first and removed last, so a directory a
/// restore did not finish says so, instead of being started or restored into as if whole.
public enum RestoreMarker {
    public static let fileName = "tailtown-restore.in-progress"

    public static func path(in target: String) -> String { target + "/" + fileName }

    public static func isPresent(in target: String) -> Bool {
        FileSystem.exists(path(in: target))
    }

    /// Creates the marker, durably, naming the backup being restored.
    static func place(in target: OpenDirectory, backup: String, owner: FileOwner) throws {
        let file = try target.createFile(fileName, mode: 0o600)
        try file.write(Array("tailtown-pitr restore of backup \(backup) in progress; if no restore is running, it was interrupted\n".utf8))
        try owner.take(file)
        try file.sync()
        try target.sync()
    }

    /// Removes the marker durably: the last step of a restore.
    static func remove(from target: OpenDirectory) throws {
        try target.remove(fileName)
        try target.sync()
    }
}
