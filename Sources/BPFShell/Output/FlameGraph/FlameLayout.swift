/// Where things go on the page: flamegraph.pl's proportions (16-pixel rows, 12-pixel Verdana,
/// 10 pixels of margin), the root at the bottom or, inverted, at the top.
struct FlameLayout {
    static let margin = 10
    static let rowHeight = 16
    static let frameHeight = 15
    static let fontSize = 12.0
    /// Verdana's average character width over its size: labels are cut by this estimate, since
    /// measuring text needs a browser (the script uses the same figure when it relabels).
    static let charWidth = fontSize * 0.59
    static let footerHeight = 40

    let width: Int
    let headerHeight: Int
    let isInverted: Bool
    let minWidth: Double

    init(options: FlameGraphOptions) {
        width = max(options.width, 2 * Self.margin + 100)
        headerHeight = options.subtitle == nil ? 40 : 58
        isInverted = options.inverted
        minWidth = options.minWidth
    }

    var drawingWidth: Double { Double(width - 2 * Self.margin) }

    /// The fraction of all samples a frame needs to be minWidth pixels wide.
    var minimumFraction: Double { minWidth / drawingWidth }

    func height(maxDepth: Int) -> Int {
        headerHeight + (maxDepth + 1) * Self.rowHeight + Self.footerHeight
    }

    /// The top of a frame's rectangle.
    func y(depth: Int, maxDepth: Int) -> Int {
        isInverted ? headerHeight + depth * Self.rowHeight : headerHeight + (maxDepth - depth) * Self.rowHeight
    }

    /// Characters of a name shown in a frame this wide: all, cut with "..", or none (the script's rule too).
    static func labelLength(nameLength: Int, width: Double) -> Int? {
        let fits = Int(((width - 6) / charWidth).rounded(.down))
        if fits < 3 { return nil }
        return nameLength <= fits ? nameLength : fits - 2
    }
}
