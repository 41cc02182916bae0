/// Sizes of memory as typed ("512K", "16M", "1G", "2T", or bytes), checked: an overflow
/// or a fraction is refused, never wrapped or rounded.
public enum MemorySize {
    private static let scales: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]

    public static func parse(_ text: String) -> UInt64? {
        var digits = Substring(text.uppercased())
        var scale: UInt64 = 1
        if digits.hasSuffix("IB") { digits = digits.dropLast(2) } else if digits.hasSuffix("B") { digits = digits.dropLast() }
        if let last = digits.last, let found = scales[last] {
            scale = found
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let value = UInt64(digits) else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }

    /// "16.0 GiB", "512.0 MiB", "4.0 KiB", "12 B".
    public static func describe(_ bytes: UInt64) -> String {
        if bytes == .max { return "more than 16 EiB" }
        let units: [(UInt64, String)] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, name) in units where bytes >= size {
            return String(format: "%.1f %@", Double(bytes) / Double(size), name)
        }
        return "\(bytes) B"
    }

    /// A round figure at or above `bytes` to suggest as a new limit ("32G").
    static func suggestion(above bytes: UInt64) -> String {
        let gib = (bytes + (1 << 30) - 1) >> 30
        if gib < 1 { return "1G" }
        var power: UInt64 = 1
        while power < gib, power < 1 << 20 { power <<= 1 }
        return power >= 1 << 10 ? "\(power >> 10)T" : "\(power)G"
    }
}
