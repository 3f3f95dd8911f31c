import PITRConfig
import PITRStorage

/// S3 prices in USD (docs/operations.md, "The monthly bill"): AWS us-east-1 list prices by default, each overridable by
/// TAILTOWN_S3_PRICES ("storage.STANDARD=0.023 put.GLACIER_IR=0.02 ...").
public struct PriceTable: Equatable, Sendable {
    public enum Item: String, CaseIterable, Sendable {
        /// Per GB-month stored.
        case storage
        /// Per 1000 PUT, COPY, POST or LIST requests, and per 1000 lifecycle transitions into the class.
        case put
        /// Per 1000 GET requests.
        case get
        /// Per GB read.
        case retrieve
    }

    /// AWS us-east-1 list prices (storage, put, get, retrieve), late 2025.
    public static let list = PriceTable(prices: [
        "STANDARD": [0.023, 0.005, 0.0004, 0],
        "STANDARD_IA": [0.0125, 0.01, 0.001, 0.01],
        "INTELLIGENT_TIERING": [0.023, 0.005, 0.0004, 0],
        "ONEZONE_IA": [0.01, 0.01, 0.001, 0.01],
        "GLACIER_IR": [0.004, 0.02, 0.01, 0.03],
        "GLACIER": [0.0036, 0.03, 0.0004, ArchiveClass.glacier.thawPrice(.standard)?.perGB ?? 0],
        "DEEP_ARCHIVE": [0.00099, 0.05, 0.0004, ArchiveClass.deepArchive.thawPrice(.standard)?.perGB ?? 0],
    ].mapValues { Dictionary(uniqueKeysWithValues: zip(Item.allCases, $0)) })

    /// Per storage class, each item's price.
    public private(set) var prices: [String: [Item: Double]]

    public init(prices: [String: [Item: Double]]) { self.prices = prices }

    /// The price of `item` in `storageClass`; a class the table lacks is priced as STANDARD.
    public func price(_ item: Item, _ storageClass: String) -> Double {
        prices[storageClass]?[item] ?? prices["STANDARD"]?[item] ?? 0
    }

    /// Sets one price.
    public mutating func set(_ item: Item, _ storageClass: String, to price: Double) { prices[storageClass, default: [:]][item] = price }
}

extension Settings {
    /// TAILTOWN_S3_PRICES over the list prices: "item.CLASS=price" words separated by spaces or commas.
    public func priceTable() throws -> PriceTable {
        var table = PriceTable.list
        guard let value = value(of: .s3Prices) else { return table }
        for word in value.text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) {
            let parts = word.split(separator: "=")
            let names = parts.first?.split(separator: ".") ?? []
            guard parts.count == 2, names.count == 2, let item = PriceTable.Item(rawValue: String(names[0])), let price = Double(parts[1]), price >= 0 else {
                throw invalid(.s3Prices, value, "'\(word)' is not item.CLASS=price, with item storage, put, get or retrieve and a price in USD")
            }
            table.set(item, names[1].uppercased(), to: price)
        }
        return table
    }
}
