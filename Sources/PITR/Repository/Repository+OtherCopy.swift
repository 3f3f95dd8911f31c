import PITRPipeline
import PITRStorage

extension Repository {
    /// The second repository's copy of `key`, to decode when the first's fails its checks
    /// (`ObjectDecoder.decode(from:to:object:identity:otherCopy:)`): where this repository reads through both
    /// (`FallbackStorage`: restore and dump-fetch with TAILTOWN_REPO2); nil otherwise.
    package func otherCopy(of key: String) -> OtherCopy? {
        guard let both = storage as? FallbackStorage else { return nil }
        let second = both.second, log = both.log
        return OtherCopy(object: second.describe(key), open: { try second.openForReading(key) }, warn: { log.warning($0) })
    }
}
