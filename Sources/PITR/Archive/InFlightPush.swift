import PITRSupport
import PITRWAL

/// This process storing one WAL file: its marker `.<name>.<pid>.<random>.tmp` in the `PushedFolder`
/// exists from `PushedFolder.beginPush` until `complete` renames it into the file's record or
/// `end` removes it. Killed, the process leaves the marker behind with a dead pid, which nobody
/// waits for and the next background pusher removes.
final class InFlightPush {
    let name: WALFileName
    private let folder: String
    private let marker: SystemFile
    private var isOpen = true

    /// Creates the marker, under a name no other marker has (`FileSystem.temporaryName`).
    init(name: WALFileName, folder: String) throws {
        self.name = name
        self.folder = folder
        marker = try SystemFile.createExclusive(FileSystem.temporaryName(for: folder + "/" + name.fileName), mode: 0o600)
    }

    deinit { end() }

    /// Writes `record` into the marker and renames it into place: from now on the file counts as
    /// stored. Call only once the object is durable.
    ///
    /// Not synced: after a crash the record is either there and true, or lost or unreadable and
    /// ignored (the file is pushed again). Syncing would double the fsyncs of every push for no safety.
    func complete(as record: PushRecord) throws {
        precondition(record.name == name && isOpen)
        try marker.write(record.text.bytes)
        try FileSystem.rename(marker.path, to: folder + "/" + name.fileName)
        isOpen = false
    }

    /// Removes the marker (the push ended without a record); nothing when `complete` ran.
    func end() {
        guard isOpen else { return }
        isOpen = false
        try? FileSystem.remove(marker.path)
    }
}
