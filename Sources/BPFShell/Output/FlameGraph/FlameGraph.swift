/// bpfsh's own flame graphs: interactive SVG (hover, click to zoom, search), like flamegraph.pl's
/// and readable by the same people, written in Swift so `flame` needs no Perl and no other tool.
public enum FlameGraph {
    public static func svg(_ stacks: [FoldedStack], options: FlameGraphOptions) -> String {
        let layout = FlameLayout(options: options)
        let tree = FrameTree(stacks, minimumFraction: layout.minimumFraction)
        return FlameGraphWriter(tree: tree, layout: layout, options: options, comparison: nil).document()
    }

    /// Differential: the shape is `after`; colour is growth relative to `before`, counts normalised by
    /// totals (red grew, blue shrank, white-ish unchanged); tooltips show both counts and the delta.
    public static func differentialSVG(after: [FoldedStack], before: [FoldedStack], options: FlameGraphOptions) -> String {
        let layout = FlameLayout(options: options)
        let tree = FrameTree(after, before: before, minimumFraction: layout.minimumFraction)
        return FlameGraphWriter(tree: tree, layout: layout, options: options, comparison: Comparison(tree)).document()
    }
}

/// How much each frame of a differential graph changed: its share of the `after` samples minus
/// its share of the `before` samples, so profiles of different lengths compare fairly.
struct Comparison {
    private let total: Double
    private let beforeTotal: Double
    private let largestChange: Double

    init(_ tree: FrameTree) {
        total = Double(tree.total)
        beforeTotal = Double(tree.beforeTotal)
        var largest = 0.0
        let (total, beforeTotal) = (total, beforeTotal)
        for node in tree.nodes {
            largest = max(largest, abs(Self.change(node, total: total, beforeTotal: beforeTotal)))
        }
        largestChange = largest
    }

    /// Percentage points of all samples.
    func change(_ node: FrameTree.Node) -> Double {
        Self.change(node, total: total, beforeTotal: beforeTotal)
    }

    func beforeShare(_ node: FrameTree.Node) -> Double {
        beforeTotal > 0 ? 100 * Double(node.before) / beforeTotal : 0
    }

    func color(_ node: FrameTree.Node) -> FrameColor {
        FramePalette.differential(change: largestChange > 0 ? change(node) / largestChange : 0)
    }

    private static func change(_ node: FrameTree.Node, total: Double, beforeTotal: Double) -> Double {
        let after = total > 0 ? 100 * Double(node.count) / total : 0
        let before = beforeTotal > 0 ? 100 * Double(node.before) / beforeTotal : 0
        return after - before
    }
}
