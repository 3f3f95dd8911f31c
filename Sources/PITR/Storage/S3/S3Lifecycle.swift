import PITRSupport

/// How objects move between storage classes without being rewritten (docs/s3.md, "Storage classes"): `delete` tags
/// each object with the tier it is to move to (PutObjectTagging: a locked version stays the one version, under its
/// lock), and keeps in the bucket's lifecycle configuration one transition rule per tier, filtered on this
/// repository's prefix and the tag, which S3 runs once a day. Other rules of the bucket are left as they are.
extension S3Storage {
    /// One of this repository's transition rules as S3 lists it.
    struct TransitionRule: Equatable {
        let tier: String
        let storageClass: String
        let days: Int
    }

    public var storageClasses: S3StorageClasses? { configuration.storageClasses }

    /// PutObjectTagging of `key`'s current version: its tag set becomes the one tag naming `tier`.
    public func tag(_ key: String, tier: S3StorageClasses.Tier) throws {
        let body = Array(("<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet><Tag><Key>\(S3StorageClasses.tagKey)</Key>"
            + "<Value>\(tier.rawValue)</Value></Tag></TagSet></Tagging>").utf8)
        try permitted("s3:PutObjectTagging") {
            _ = try client.send(try S3Client.Operation(method: "PUT", key: configuration.objectKey(key), query: [("tagging", "")],
                                                       headers: [("Content-Type", "application/xml")], body: body, checksummed: true))
        }
    }

    /// Makes this repository's rules in the bucket's lifecycle configuration those `storageClasses` asks for: reads the
    /// configuration (GetBucketLifecycleConfiguration) and writes it back (PutBucketLifecycleConfiguration, or
    /// DeleteBucketLifecycle when no rule is left) only when they differ. Returns whether it wrote.
    public func keepTransitionRules() throws -> Bool {
        let wanted = configuration.storageClasses.transitions.map { TransitionRule(tier: $0.tier.rawValue, storageClass: $0.storageClass, days: $0.days) }
        let get = try S3Client.Operation(method: "GET", key: "", query: [("lifecycle", "")], accepting: [404])
        let response = try permitted("s3:GetLifecycleConfiguration") { try client.send(get) }
        let xml = Substring(String(decoding: response.body, as: UTF8.self))
        let rules = response.isSuccess ? S3XML.elements("Rule", in: xml) : []
        let ours = rules.filter { S3XML.value("ID", in: $0)?.hasPrefix(ruleIDPrefix) == true }
        let others = rules.filter { S3XML.value("ID", in: $0)?.hasPrefix(ruleIDPrefix) != true }
        let present = ours.compactMap { rule -> TransitionRule? in
            guard let tier = S3XML.value("ID", in: rule)?.dropFirst(ruleIDPrefix.count), let transition = S3XML.elements("Transition", in: rule).first,
                  let storageClass = S3XML.value("StorageClass", in: transition), let days = S3XML.value("Days", in: transition).flatMap({ Int($0) })
            else { return nil }
            return TransitionRule(tier: String(tier), storageClass: storageClass, days: days)
        }
        guard present.sorted(by: { $0.tier < $1.tier }) != wanted.sorted(by: { $0.tier < $1.tier }) || present.count != ours.count else { return false }
        let kept = others.map { "<Rule>\($0)</Rule>" }
        if kept.isEmpty, wanted.isEmpty {
            try permitted("s3:PutLifecycleConfiguration") {
                _ = try client.send(try S3Client.Operation(method: "DELETE", key: "", query: [("lifecycle", "")], accepting: [404]))
            }
            return true
        }
        let body = Array(("<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + kept.joined()
            + wanted.map(render).joined() + "</LifecycleConfiguration>").utf8)
        try permitted("s3:PutLifecycleConfiguration") {
            _ = try client.send(try S3Client.Operation(method: "PUT", key: "", query: [("lifecycle", "")], headers: [("Content-Type", "application/xml")],
                                                       body: body, checksummed: true))
        }
        return true
    }

    /// `body`, its AccessDenied said as the missing `permission`: only the maintenance role, which runs `delete`, has it.
    private func permitted<T>(_ permission: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as S3Error {
            guard case let .refused(request, _, "AccessDenied", _) = error else { throw error }
            throw S3Error.permissionMissing(request: request, permission: permission, role: "the maintenance role that runs delete")
        }
    }

    /// "tailtown-pitr:<prefix>:": the rules of this repository, one bucket holding several repositories under prefixes.
    private var ruleIDPrefix: String { "tailtown-pitr:\(configuration.prefix):" }

    private func render(_ rule: TransitionRule) -> String {
        let prefix = configuration.prefix.isEmpty ? "" : configuration.prefix + "/"
        return "<Rule><ID>\(S3XML.escape(ruleIDPrefix + rule.tier))</ID><Filter><And><Prefix>\(S3XML.escape(prefix))</Prefix>"
            + "<Tag><Key>\(S3StorageClasses.tagKey)</Key><Value>\(rule.tier)</Value></Tag>"
            + "<ObjectSizeGreaterThan>\(S3StorageClasses.smallestTransitioned)</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status>"
            + "<Transition><Days>\(rule.days)</Days><StorageClass>\(rule.storageClass)</StorageClass></Transition></Rule>"
    }
}
