/// A colour as the SVG writes it.
struct FrameColor: Equatable {
    var red: UInt8
    var green: UInt8
    var blue: UInt8

    var hex: String {
        let digits = Array("0123456789abcdef")
        return "#" + String([red, green, blue].flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}

/// Frame colours. They come from a hash of the name that does not change between runs (Swift's
/// Hasher is seeded per process), so a function keeps its colour in every graph.
enum FramePalette {
    /// The "all" frame at the root.
    static let root = FrameColor(red: 200, green: 200, blue: 205)

    static func color(for frame: FlameFrame, palette: FlameGraphOptions.Palette?) -> FrameColor {
        let shade = Shade(frame.name)
        switch palette {
        case .kernel: return shade.orange
        case .user: return shade.hot
        case .io: return shade.blue
        case .java: return javaColor(frame, shade)
        case nil:
            switch frame.kind {
            case .kernel: return shade.orange
            case .user, .other: return shade.hot
            case .process: return shade.greyBlue
            }
        }
    }

    /// flamegraph.pl's java palette keys on perf's suffixes and on how Java and C++ names look.
    private static func javaColor(_ frame: FlameFrame, _ shade: Shade) -> FrameColor {
        let name = frame.name
        if name.hasSuffix("_[j]") { return shade.green }
        if name.hasSuffix("_[i]") { return shade.aqua }
        if frame.kind == .kernel || name.hasSuffix("_[k]") { return shade.orange }
        if name.contains("::") { return shade.yellow }
        if name.contains("/") || (name.contains(".") && !name.hasPrefix("[")) { return shade.green }
        return shade.hot
    }

    /// Differential graphs: red where the frame grew, blue where it shrank, white-ish where it stayed;
    /// `change` is the frame's change over the largest change in the graph, in -1...1.
    static func differential(change: Double) -> FrameColor {
        let strength = min(abs(change), 1)
        let fade = UInt8(250 - (210 * strength).rounded())
        if change > 0 { return FrameColor(red: 255, green: fade, blue: fade) }
        if change < 0 { return FrameColor(red: fade, green: fade, blue: 255) }
        return FrameColor(red: 250, green: 250, blue: 250)
    }
}

/// Three numbers in 0..<1 drawn from a name (FNV-1a over its UTF-8), which vary a colour within its family.
private struct Shade {
    let first: Double
    let second: Double
    let third: Double

    init(_ name: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        first = Double(hash & 0xFFFF) / 65536
        second = Double((hash >> 16) & 0xFFFF) / 65536
        third = Double((hash >> 32) & 0xFFFF) / 65536
    }

    private func mix(_ red: (Double, Double), _ green: (Double, Double), _ blue: (Double, Double)) -> FrameColor {
        FrameColor(red: UInt8(red.0 + red.1), green: UInt8(green.0 + green.1), blue: UInt8(blue.0 + blue.1))
    }

    var hot: FrameColor { mix((205, 50 * third), (0, 230 * first), (0, 55 * second)) }
    var orange: FrameColor { mix((225, 30 * first), (110, 65 * second), (0, 40 * third)) }
    var greyBlue: FrameColor { mix((140, 40 * first), (150, 40 * first), (190, 50 * second)) }
    var blue: FrameColor { mix((80, 60 * first), (80, 60 * first), (190, 55 * second)) }
    var green: FrameColor { mix((50, 60 * first), (190, 50 * second), (50, 60 * first)) }
    var aqua: FrameColor { mix((50, 60 * first), (165, 55 * first), (165, 55 * first)) }
    var yellow: FrameColor { mix((175, 55 * first), (175, 55 * first), (50, 20 * second)) }
}
