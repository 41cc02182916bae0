/// Writes a merged frame tree as an SVG document in flamegraph.pl's shape: one
/// `<g><title>…</title><rect …/><text …>…</text></g>` per frame, depth-first (the script relies on
/// that order), colours as attributes, everything else in shared CSS.
struct FlameGraphWriter {
    let tree: FrameTree
    let layout: FlameLayout
    let options: FlameGraphOptions
    let comparison: Comparison?

    /// Per distinct frame, computed once however many nodes show it.
    private struct FrameText {
        var escapedName: [UInt8]
        var length: Int
        var fill: [UInt8]
    }

    func document() -> String {
        guard tree.total > 0 else { return emptyDocument() }
        let cutoff = sizeCutoff()
        let drawn = tree.nodes.indices.filter { $0 == 0 || tree.nodes[$0].count >= cutoff }
        let maxDepth = drawn.reduce(0) { max($0, Int(tree.nodes[$1].depth)) }
        let height = layout.height(maxDepth: maxDepth)
        let texts = frameTexts()
        var svg = SVGText(capacity: drawn.count * 190 + 16_384)
        header(&svg, height: height, maxDepth: maxDepth)
        if drawn.count < tree.nodes.count {
            svg.raw("<text id=\"note\" x=\"\(FlameLayout.margin)\" y=\"\(height - 24)\">")
            svg.integer(tree.nodes.count - drawn.count)
            svg.raw(" more frames are too narrow to draw within the file size limit</text>\n")
        }
        svg.raw("<g id=\"frames\">\n")
        let samplesPerPixel = Double(tree.total) / layout.drawingWidth
        for index in drawn {
            frame(tree.nodes[index], texts: texts, samplesPerPixel: samplesPerPixel, maxDepth: maxDepth, into: &svg)
        }
        svg.raw("</g>\n<script type=\"text/ecmascript\"><![CDATA[\n")
        svg.raw(FlameGraphScript.script)
        svg.raw("\n]]></script>\n</svg>\n")
        return svg.text
    }

    private func header(_ svg: inout SVGText, height: Int, maxDepth: Int) {
        let width = layout.width
        svg.raw("""
        <?xml version="1.0" standalone="no"?>
        <svg version="1.1" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
        xmlns="http://www.w3.org/2000/svg" data-pad="\(FlameLayout.margin)" data-row="\(FlameLayout.rowHeight)" \
        data-base="\(layout.y(depth: 0, maxDepth: maxDepth))" data-char-width="\(FlameLayout.charWidth)" \
        data-total="\(tree.total)" data-count-name="
        """)
        svg.escaped(options.countName)
        svg.raw("\">\n<style><![CDATA[\n\(FlameGraphScript.style)\n]]></style>\n")
        background(&svg, height: height)
        svg.raw("<text id=\"title\" x=\"\(width / 2)\" y=\"24\">")
        svg.escaped(options.title)
        svg.raw("</text>\n")
        if let subtitle = options.subtitle {
            svg.raw("<text id=\"subtitle\" x=\"\(width / 2)\" y=\"44\">")
            svg.escaped(subtitle)
            svg.raw("</text>\n")
        }
        let right = width - FlameLayout.margin
        svg.raw("""
        <text id="unzoom" class="button hide" x="\(FlameLayout.margin)" y="24">Reset Zoom</text>
        <text id="search" class="button" x="\(right)" y="24">Search</text>
        <text id="matched" x="\(right)" y="\(height - 8)"> </text>
        <text id="details" x="\(FlameLayout.margin)" y="\(height - 8)"> </text>

        """)
    }

    private func background(_ svg: inout SVGText, height: Int) {
        svg.raw("""
        <defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="5%" stop-color="#eeeeee"/>\
        <stop offset="95%" stop-color="#eeeeb0"/></linearGradient></defs>
        <rect x="0" y="0" width="\(layout.width)" height="\(height)" fill="url(#bg)"/>

        """)
    }

    private func frame(_ node: FrameTree.Node, texts: [FrameText], samplesPerPixel: Double, maxDepth: Int,
                       into svg: inout SVGText) {
        let text = node.frame == FrameTree.rootFrame ? rootText : texts[Int(node.frame)]
        let margin = Double(FlameLayout.margin)
        let left = Int(((margin + Double(node.start) / samplesPerPixel) * 10).rounded())
        let right = Int(((margin + Double(node.start + node.count) / samplesPerPixel) * 10).rounded())
        let y = layout.y(depth: Int(node.depth), maxDepth: maxDepth)

        svg.raw("<g><title>")
        svg.raw(text.escapedName)
        svg.raw(" (")
        svg.grouped(node.count)
        svg.raw(" ")
        svg.escaped(options.countName)
        svg.raw(", ")
        svg.percent(100 * Double(node.count) / Double(tree.total))
        svg.raw("%")
        if let comparison {
            svg.raw("; before ")
            svg.grouped(node.before)
            svg.raw(" ")
            svg.escaped(options.countName)
            svg.raw(", ")
            svg.percent(comparison.beforeShare(node))
            svg.raw("%; delta ")
            let change = comparison.change(node)
            if change >= 0 { svg.raw("+") }
            svg.percent(change)
            svg.raw("%")
        }
        svg.raw(")</title><rect x=\"")
        svg.tenths(left)
        svg.raw("\" y=\"")
        svg.integer(y)
        svg.raw("\" width=\"")
        svg.tenths(right - left)
        svg.raw("\" height=\"\(FlameLayout.frameHeight)\" fill=\"")
        svg.raw(comparison.map { Array($0.color(node).hex.utf8) } ?? text.fill)
        svg.raw("\"/>")
        if let shown = FlameLayout.labelLength(nameLength: text.length, width: Double(right - left) / 10) {
            svg.raw("<text x=\"")
            svg.tenths(left + 30)
            svg.raw("\" y=\"")
            svg.integer(y + 11)
            svg.raw("\">")
            if shown == text.length {
                svg.raw(text.escapedName)
            } else {
                svg.escaped(String(name(of: node).prefix(shown)))
                svg.raw("..")
            }
            svg.raw("</text>")
        }
        svg.raw("</g>\n")
    }

    private var rootText: FrameText {
        FrameText(escapedName: Array("all".utf8), length: 3, fill: Array(FramePalette.root.hex.utf8))
    }

    private func name(of node: FrameTree.Node) -> String {
        node.frame == FrameTree.rootFrame ? "all" : tree.frames[Int(node.frame)].name
    }

    private func frameTexts() -> [FrameText] {
        tree.frames.map { frame in
            FrameText(escapedName: SVGText.escapedUTF8(frame.name), length: frame.name.count,
                      fill: Array(FramePalette.color(for: frame, palette: options.palette).hex.utf8))
        }
    }

    /// The smallest count a frame needs to be drawn within options.maxFileSize: 0 when everything
    /// fits, else the count just above the widest frame that would overflow it. Children are never
    /// wider than their parents, so what remains is still a tree.
    private func sizeCutoff() -> UInt64 {
        let fixedCost = 170 + (comparison == nil ? 0 : 60)
        let costs = tree.nodes.map { node in
            fixedCost + 2 * (node.frame == FrameTree.rootFrame ? 3 : tree.frames[Int(node.frame)].name.utf8.count)
        }
        let budget = max(options.maxFileSize - 20_000, 0)
        guard costs.reduce(0, +) > budget else { return 0 }
        var used = 0
        for index in tree.nodes.indices.sorted(by: { tree.nodes[$0].count > tree.nodes[$1].count }) {
            used += costs[index]
            if used > budget { return tree.nodes[index].count + 1 }
        }
        return 0
    }

    private func emptyDocument() -> String {
        let height = 120
        var svg = SVGText(capacity: 2048)
        svg.raw("""
        <?xml version="1.0" standalone="no"?>
        <svg version="1.1" width="\(layout.width)" height="\(height)" viewBox="0 0 \(layout.width) \(height)" \
        xmlns="http://www.w3.org/2000/svg">
        <style>text{font-family:Verdana,sans-serif;font-size:12px}#title{font-size:17px}</style>

        """)
        background(&svg, height: height)
        svg.raw("<text id=\"title\" x=\"\(layout.width / 2)\" y=\"24\" text-anchor=\"middle\">")
        svg.escaped(options.title)
        svg.raw("</text>\n<text id=\"empty\" x=\"\(layout.width / 2)\" y=\"70\" text-anchor=\"middle\">no stacks</text>\n</svg>\n")
        return svg.text
    }
}
