import Foundation
import PITRNative

/// S3's daily lifecycle run, which moto does not do: reads a moto bucket's lifecycle configuration and, for every object
/// a rule's filter takes (prefix, tag, larger than `ObjectSizeGreaterThan` or S3's default of 128 KiB) that is at least
/// the rule's `Days` old on `day` and in a warmer class, moves it as S3 would (here by a copy in place that keeps its
/// tags: moto has no other way). `written` gives each object's age (keys as in the bucket); S3 counts from the write.
public enum MotoLifecycle {
    public struct Rule: Equatable, Sendable {
        public let prefix: String
        public let tag: (key: String, value: String)?
        public let minimumSize: Int
        public let days: Int
        public let storageClass: String
        public static func == (a: Rule, b: Rule) -> Bool {
            (a.prefix, a.tag?.key, a.tag?.value, a.minimumSize, a.days, a.storageClass) == (b.prefix, b.tag?.key, b.tag?.value, b.minimumSize, b.days, b.storageClass)
        }
    }

    public struct Move: Equatable, Sendable {
        public let key: String
        public let from: String
        public let to: String
    }

    static let waterfall = ["STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]

    /// The bucket's enabled transition rules (GetBucketLifecycleConfiguration); none when it has no configuration.
    public static func rules(bucket: String) throws -> [Rule] {
        let (status, xml) = try request("GET", "/\(bucket)?lifecycle")
        guard status == 200 else { return [] }
        return elements("Rule", xml).compactMap { rule in
            guard values("Status", rule).first == "Enabled", let transition = elements("Transition", rule).first,
                  let days = values("Days", transition).first.flatMap({ Int($0) }), let storageClass = values("StorageClass", transition).first else { return nil }
            let filter = elements("Filter", rule).first ?? ""
            let tag = elements("Tag", filter).first.flatMap { tag in values("Key", tag).first.map { ($0, values("Value", tag).first ?? "") } }
            return Rule(prefix: values("Prefix", filter).first ?? "", tag: tag,
                        minimumSize: values("ObjectSizeGreaterThan", filter).first.flatMap { Int($0) } ?? (128 << 10), days: days, storageClass: storageClass)
        }
    }

    /// Every object of the bucket with its class (ListObjectsV2, one page: the tests keep fewer than 1000).
    public static func objects(bucket: String) throws -> [(key: String, size: Int, storageClass: String)] {
        let (_, xml) = try request("GET", "/\(bucket)?list-type=2")
        return elements("Contents", xml).compactMap { contents in
            guard let key = values("Key", contents).first, let size = values("Size", contents).first.flatMap({ Int($0) }) else { return nil }
            return (key, size, values("StorageClass", contents).first ?? "STANDARD")
        }
    }

    /// The object's tags (GetObjectTagging).
    public static func tags(bucket: String, key: String) throws -> [String: String] {
        let (_, xml) = try request("GET", "/\(bucket)/\(key)?tagging")
        return Dictionary(elements("Tag", xml).compactMap { tag in values("Key", tag).first.map { ($0, values("Value", tag).first ?? "") } }) { a, _ in a }
    }

    /// Runs the rules once on `day`; returns what moved.
    public static func run(bucket: String, on day: Date, written: (String) -> Date?) throws -> [Move] {
        let rules = try rules(bucket: bucket)
        guard !rules.isEmpty else { return [] }
        var moves: [Move] = []
        for object in try objects(bucket: bucket) {
            let candidates = rules.filter { object.key.hasPrefix($0.prefix) && object.size > $0.minimumSize }
            guard !candidates.isEmpty, let age = written(object.key).map({ day.timeIntervalSince($0) / 86_400 }) else { continue }
            let tags = try tags(bucket: bucket, key: object.key)
            let due = candidates.filter { rule in
                (rule.tag.map { tags[$0.key] == $0.value } ?? true) && age >= Double(rule.days)
                    && (waterfall.firstIndex(of: rule.storageClass) ?? 0) > (waterfall.firstIndex(of: object.storageClass) ?? 0)
            }
            // Of several due transitions S3 takes the coldest.
            guard let rule = due.max(by: { (waterfall.firstIndex(of: $0.storageClass) ?? 0) < (waterfall.firstIndex(of: $1.storageClass) ?? 0) }) else { continue }
            let (status, body) = try request("PUT", "/\(bucket)/\(object.key)", headers: [
                ("x-amz-copy-source", "/\(bucket)/\(object.key)"), ("x-amz-storage-class", rule.storageClass),
                ("x-amz-metadata-directive", "COPY"), ("x-amz-tagging-directive", "COPY"),
            ])
            guard status == 200 else { throw MotoStartError(reason: "moving \(object.key) to \(rule.storageClass): HTTP \(status) \(body.prefix(300))") }
            moves.append(Move(key: object.key, from: object.storageClass, to: rule.storageClass))
        }
        return moves
    }

    private static func request(_ method: String, _ path: String, headers: [(String, String)] = []) throws -> (Int, String) {
        var body: [UInt8] = []
        let response = try HTTPClient().perform(HTTPRequest(method: method, url: try MotoServer.endpoint() + path,
                                                            headers: [MotoServer.authorization] + headers)) { body += $1 }
        return (response.status, String(decoding: body, as: UTF8.self))
    }

    private static func elements(_ tag: String, _ xml: String) -> [String] {
        xml.components(separatedBy: "<\(tag)>").dropFirst().compactMap { $0.components(separatedBy: "</\(tag)>").first }
    }

    private static func values(_ tag: String, _ xml: String) -> [String] { elements(tag, xml) }
}
