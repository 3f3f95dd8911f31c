import PITRSupport

/// Ctrl-C (SIGINT) and SIGTERM as a readable descriptor rather than a handler.
///
/// The signals are blocked and a thread takes them with sigwait and writes a byte to a pipe,
/// so no handler and no global state are needed: waits on the server poll the pipe too
/// (`PostgresConnection.interruptDescriptor`) and the data loop checks it between messages.
/// Create it before other threads start, since threads inherit the blocked mask.
public final class InterruptSignal {
    /// Readable once a signal arrived.
    public let descriptor: Int32

    public init() throws {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw IOError("create", "signal pipe") }
        descriptor = ends[0]
        // The waiter writes to the write end for its whole life (the process's).
        let fd = ends[1], signals = set
        try WorkerThread("the signal waiter") {
            var waited = signals
            var signal: Int32 = 0
            while sigwait(&waited, &signal) == 0 {
                var byte: UInt8 = 1
                _ = write(fd, &byte, 1)
            }
        }.detach()
    }

    /// Whether a signal arrived (without consuming it).
    public var isTriggered: Bool {
        guard descriptor >= 0 else { return false }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }

    /// Throws `BackupError.interrupted` once a signal arrived.
    func check() throws {
        if isTriggered { throw BackupError.interrupted }
    }

    /// Sleeps up to `milliseconds`, throwing `BackupError.interrupted` if a signal arrives meanwhile.
    func sleep(milliseconds: Int32) throws {
        guard descriptor >= 0 else {
            usleep(useconds_t(milliseconds) * 1000)
            return
        }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        if poll(&entry, 1, milliseconds) > 0 { throw BackupError.interrupted }
    }
}
