import CMalloc

/// How the process hands memory back to the kernel.
public enum ProcessMemory {
    /// Allocations of this size or more are mapped on their own and unmapped when freed.
    public static let largeAllocation: Int32 = 1 << 20

    /// Fixes glibc's mmap threshold at `largeAllocation`. Left dynamic, glibc raises the threshold to the size of
    /// each large buffer freed (up to 32 MiB), so later S3 ranges, upload parts and segment buffers come from the
    /// heaps of whichever threads allocated them and stay there once freed: a restore from S3 peaked at 135 MiB
    /// with 17 MiB ranges, 64 MiB with the threshold fixed. Call once, at the start of a long-running command.
    public static func returnLargeBuffersWhenFreed() {
        _ = mallopt(M_MMAP_THRESHOLD, largeAllocation)
    }
}
