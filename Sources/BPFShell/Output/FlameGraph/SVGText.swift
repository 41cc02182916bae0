/// An SVG document being written as UTF-8 bytes: one growing byte array and numbers formatted
/// by hand, so tens of thousands of frames need no String(format:) (Foundation's is slow) and no
/// intermediate String per attribute.
struct SVGText {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func raw(_ utf8: [UInt8]) {
        bytes.append(contentsOf: utf8)
    }

    /// Text for an attribute or element content: the five XML specials become entities, and
    /// characters XML 1.0 does not allow at all (most control characters, even as entities)
    /// become U+FFFD, so a name from a hostile process cannot break the document.
    mutating func escaped(_ text: String) {
        bytes.append(contentsOf: Self.escapedUTF8(text))
    }

    static func escapedUTF8(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".utf8)
            case "<": out.append(contentsOf: "&lt;".utf8)
            case ">": out.append(contentsOf: "&gt;".utf8)
            case "\"": out.append(contentsOf: "&quot;".utf8)
            case "'": out.append(contentsOf: "&#39;".utf8)
            default:
                let value = scalar.value
                if value < 0x20 || value == 0x7F || value == 0xFFFE || value == 0xFFFF {
                    out.append(contentsOf: "\u{FFFD}".utf8)
                } else {
                    out.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        return out
    }

    mutating func integer<T: BinaryInteger>(_ value: T) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        unsigned(UInt64(value.magnitude))
    }

    /// A count as flamegraph.pl shows it: 1,234,567.
    mutating func grouped(_ value: UInt64) {
        let digits = Array(String(value).utf8)
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(digit)
        }
    }

    /// Tenths of a pixel as "12.3", or "12" when whole: coordinates need no more.
    mutating func tenths(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        unsigned(UInt64(magnitude / 10))
        if magnitude % 10 != 0 {
            bytes.append(UInt8(ascii: "."))
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
        }
    }

    /// A percentage with two decimals: "12.34".
    mutating func percent(_ value: Double) {
        let hundredths = Int((value * 100).rounded())
        if hundredths < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = hundredths.magnitude
        unsigned(UInt64(magnitude / 100))
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 100 / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
    }

    private mutating func unsigned(_ value: UInt64) {
        if value >= 10 { unsigned(value / 10) }
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
