import Foundation

enum Statistics {
    /// The middle value, or the mean of the two middle ones; nil for no values.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func ratio(_ value: Double?, _ reference: Double?) -> Double? {
        guard let value, let reference, reference > 0 else { return nil }
        return value / reference
    }
}

extension Double {
    /// One decimal, as the table and the log show numbers.
    var oneDecimal: String { String(format: "%.1f", self) }
}

extension Array where Element == Double {
    var logText: String { isEmpty ? "none" : map(\.oneDecimal).joined(separator: " ") }
}
