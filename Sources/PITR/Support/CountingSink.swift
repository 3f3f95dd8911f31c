/// Passes bytes on to another sink and counts them (the stored size of an object).
package final class CountingSink: ByteSink {
    private let sink: ByteSink
    package private(set) var count = 0

    package init(_ sink: ByteSink) { self.sink = sink }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        try sink.write(bytes)
        count += bytes.count
    }
}
