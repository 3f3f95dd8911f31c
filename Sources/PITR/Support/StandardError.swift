/// Standard error, written with write(2) on descriptor 2: unbuffered like stderr, and no shared C `FILE`.
public enum StandardError {
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var done = 0
            while done < bytes.count {
                let written = Glibc.write(2, base + done, bytes.count - done)
                if written > 0 { done += written } else if errno != EINTR { return }
            }
        }
    }
}
