import Foundation

/// Polls `condition` every 200 ms until it holds or `seconds` of real time have passed.
/// On timeout, throws `timedOut` naming `what` and carrying `detail()` (e.g. a server log tail) for the reader.
func waitUntil(_ what: String, seconds: Int = 120, detail: () -> String = { "" }, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(TimeInterval(seconds))
    while true {
        if try condition() { return }
        if Date() > deadline { throw HarnessError.timedOut(waitingFor: what, seconds: seconds, detail: detail()) }
        usleep(200_000)
    }
}
