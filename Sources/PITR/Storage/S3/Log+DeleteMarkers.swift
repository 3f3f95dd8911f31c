import PITRSupport

/// Objects read through delete markers (docs/s3.md, "Object Lock"): warned of once each per command, however many
/// times and on however many connections it meets them (the log's copies share what was said), and summed up at the
/// end of a `restore` and of `verify --restore-test`.
extension Log {
    static let deleteMarkerTopic = "read through a delete marker"

    /// Warns with `message` of `object` (its description), unless this command warned of it already.
    func warnReadThroughDeleteMarker(_ object: String, _ message: @autoclosure () -> String) {
        warning(once: object, about: Self.deleteMarkerTopic, message())
    }

    /// Warns with `deleteMarkerSummary`, when an object was read through a delete marker: at the end of a command that
    /// restores, where it is seen.
    public func warnDeleteMarkerSummary() {
        if let summary = deleteMarkerSummary { warning(summary) }
    }

    /// "3 objects were read through delete markers: first s3://...": nil when none was.
    public var deleteMarkerSummary: String? {
        let objects = subjects(warnedAbout: Self.deleteMarkerTopic)
        guard let first = objects.first else { return nil }
        return "\(objects.count) object\(objects.count == 1 ? " was" : "s were") read through delete markers: first \(first)"
            + (objects.count > 1 ? ", last \(objects[objects.count - 1])" : "") + "; 'verify' reports every such object"
    }
}
