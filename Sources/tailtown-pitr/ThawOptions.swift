import ArgumentParser
import PITRStorage

/// `--thaw TIER --thaw-days N`, shared by `restore` and `verify`: thaw objects in GLACIER or DEEP_ARCHIVE (S3 RestoreObject).
struct ThawOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Thaw the objects in GLACIER or DEEP_ARCHIVE that are not readable at this tier: expedited (GLACIER: 1-5 minutes), standard (3-5 hours; DEEP_ARCHIVE 12), bulk (5-12 hours; DEEP_ARCHIVE 48).", valueName: "tier"))
    var thaw: String?

    @Option(help: ArgumentHelp("With --thaw: how many days the thawed copies stay readable.", valueName: "days"))
    var thawDays = 3

    /// The tier `--thaw` names; nil without it.
    var tier: ThawTier? { thaw.flatMap(ThawTier.init(rawValue:)) }

    func validate() throws {
        if let thaw, ThawTier(rawValue: thaw) == nil { throw ValidationError("--thaw must be expedited, standard or bulk, not '\(thaw)'") }
        guard (1...36_500).contains(thawDays) else { throw ValidationError("--thaw-days must be 1 to 36500, not \(thawDays)") }
    }
}
