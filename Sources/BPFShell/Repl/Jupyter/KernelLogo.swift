/// The kernelspec's logo (what Jupyter shows in its launcher): a shell prompt `>_` in
/// orange on slate, drawn from the same few shapes as SVG and as PNG (32 and 64 px).
enum KernelLogo {
    static let background: (UInt8, UInt8, UInt8) = (0x1e, 0x29, 0x3b)
    static let prompt: (UInt8, UInt8, UInt8) = (0xf9, 0x73, 0x16)
    static let cursor: (UInt8, UInt8, UInt8) = (0xe2, 0xe8, 0xf0)

    /// In a 64×64 design space: the chevron's two strokes, the cursor bar.
    static let strokes: [(Double, Double, Double, Double)] = [(17, 18, 33, 32), (33, 32, 17, 46)]
    static let strokeRadius = 4.5
    static let cursorBar = (x: 37.0, y: 42.0, width: 13.0, height: 6.0)
    static let cornerRadius = 12.0

    static var svg: String {
        let lines = strokes.map { "<line x1=\"\($0.0)\" y1=\"\($0.1)\" x2=\"\($0.2)\" y2=\"\($0.3)\"/>" }.joined()
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">\
        <rect width="64" height="64" rx="\(cornerRadius)" fill="\(hex(background))"/>\
        <g stroke="\(hex(prompt))" stroke-width="\(strokeRadius * 2)" stroke-linecap="round">\(lines)</g>\
        <rect x="\(cursorBar.x)" y="\(cursorBar.y)" width="\(cursorBar.width)" height="\(cursorBar.height)" fill="\(hex(cursor))"/>\
        </svg>

        """
    }

    /// An RGBA PNG of `size`×`size`, each pixel the mean of 4×4 samples (smooth edges).
    static func png(size: Int) -> [UInt8] {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(size * (size * 4 + 1))
        let scale = 64 / Double(size)
        for row in 0..<size {
            pixels.append(0) // PNG filter type 0 (none) for each row
            for column in 0..<size {
                var sum = (r: 0.0, g: 0.0, b: 0.0, a: 0.0)
                for sample in 0..<16 {
                    let x = (Double(column) + (Double(sample % 4) + 0.5) / 4) * scale
                    let y = (Double(row) + (Double(sample / 4) + 0.5) / 4) * scale
                    guard let color = color(at: x, y) else { continue }
                    sum = (sum.r + Double(color.0), sum.g + Double(color.1), sum.b + Double(color.2), sum.a + 1)
                }
                if sum.a == 0 {
                    pixels += [0, 0, 0, 0]
                } else {
                    pixels += [UInt8(sum.r / sum.a), UInt8(sum.g / sum.a), UInt8(sum.b / sum.a), UInt8(sum.a * 255 / 16)]
                }
            }
        }
        var header: [UInt8] = []
        for value in [UInt32(size), UInt32(size)] { header += bigEndian(value) }
        header += [8, 6, 0, 0, 0] // 8 bits per channel, RGBA, deflate, no filter, no interlace
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", zlibStored(pixels))
            + chunk("IEND", [])
    }

    /// The colour at a point of the 64×64 design, nil outside the rounded square.
    private static func color(at x: Double, _ y: Double) -> (UInt8, UInt8, UInt8)? {
        let (cx, cy) = (min(max(x, cornerRadius), 64 - cornerRadius), min(max(y, cornerRadius), 64 - cornerRadius))
        guard (x - cx) * (x - cx) + (y - cy) * (y - cy) <= cornerRadius * cornerRadius else { return nil }
        if x >= cursorBar.x, x <= cursorBar.x + cursorBar.width, y >= cursorBar.y, y <= cursorBar.y + cursorBar.height { return cursor }
        for (x1, y1, x2, y2) in strokes where distance(x, y, x1, y1, x2, y2) <= strokeRadius { return prompt }
        return background
    }

    private static func distance(_ x: Double, _ y: Double, _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> Double {
        let (dx, dy) = (x2 - x1, y2 - y1)
        let t = max(0, min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
        let (px, py) = (x1 + t * dx - x, y1 + t * dy - y)
        return (px * px + py * py).squareRoot()
    }

    /// A zlib stream of stored (uncompressed) deflate blocks: a logo is a few KB, and
    /// this needs no compressor.
    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let isLast = offset + length == data.count
            out.append(isLast ? 1 : 0)
            out += [UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)]
            out += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + bigEndian(b << 16 | a)
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(CRC32.checksum(typed))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    private static func hex(_ color: (UInt8, UInt8, UInt8)) -> String {
        "#" + [color.0, color.1, color.2].map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
