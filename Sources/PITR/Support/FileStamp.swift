/// What `fstat` says changes when a file's content does: its inode, its size, and its modification
/// and change times to the nanosecond. Any write, truncation or replacement through the kernel
/// gives another stamp, provided the file's last change is older than a clock tick of the file
/// system's timestamps (`isSettled`): a write within the same tick could leave the times as they were.
package struct FileStamp: Equatable {
    let inode: UInt64
    package let size: Int64
    let modified: timespec
    let changed: timespec

    package init(_ file: SystemFile) throws {
        var info = stat()
        guard fstat(file.descriptor, &info) == 0 else { throw IOError("stat", file.path) }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim
        changed = info.st_ctim
    }

    /// Whether the last change is more than `margin` seconds ago, by the wall clock the file system
    /// stamps with: then any later change gives a later change time.
    package func isSettled(margin: Double = 0.05) -> Bool {
        Self.wallClock() - Self.seconds(changed) > margin
    }

    package var text: String {
        "\(inode):\(size):\(modified.tv_sec).\(modified.tv_nsec):\(changed.tv_sec).\(changed.tv_nsec)"
    }

    package static func == (a: FileStamp, b: FileStamp) -> Bool { a.text == b.text }

    /// Seconds since the epoch, as file times count them.
    package static func wallClock() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return seconds(now)
    }

    private static func seconds(_ time: timespec) -> Double {
        Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
