import Foundation

/// The unit histogram values were recorded in and the one to show them in.
public enum DisplayUnit: String, Sendable, CaseIterable {
    case ns, us, ms, s

    var divisor: Double {
        switch self {
        case .ns: return 1
        case .us: return 1e3
        case .ms: return 1e6
        case .s: return 1e9
        }
    }

    var header: String {
        switch self {
        case .ns: return "nsecs"
        case .us: return "usecs"
        case .ms: return "msecs"
        case .s: return "secs"
        }
    }
}

/// What a renderer made of one item, and which stream it belongs on.
public struct RenderedOutput {
    public var text: String
    /// Diagnostics and warnings go to stderr in text mode, so stdout stays results.
    public var isError: Bool
}

/// Renders output items as text for a terminal (or a notebook, without colour):
/// aligned tables, bcc-style histograms, diagnostics pointing at what was typed.
public struct TextRenderer {
    public static let barWidth = 40
    /// Colour diagnostics (terminals only; never with NO_COLOR, never in notebooks).
    public var useColor: Bool
    /// While `every` repeats, histograms keep the widest columns seen so far: a bar
    /// chart whose columns jump at each tick cannot be compared by eye.
    var widths: HistogramWidths?

    public init(useColor: Bool = false) {
        self.useColor = useColor
    }

    /// `byteBudget`: a map's rows stop once this much text is made (a transcript beside
    /// JSON output keeps 256 KB; rendering 10,000 stacks as text for it would be waste).
    public func render(_ item: OutputItem, byteBudget: Int? = nil) -> RenderedOutput {
        if let byteBudget, case let .map(name, .table(table), _) = item, table.rows.contains(where: { $0.key.containsStack }) {
            return RenderedOutput(text: renderStackRows(table, name: name, byteBudget: byteBudget), isError: false)
        }
        switch item {
        case let .status(status):
            return RenderedOutput(text: status.message + "\n", isError: false)
        case let .table(table):
            return RenderedOutput(text: formatColumns([table.columns] + table.rows.map { $0.map(\.display) }), isError: false)
        case let .map(name, contents, unit):
            return RenderedOutput(text: render(contents, name: name, unit: unit), isError: false)
        case let .folded(name, stacks, annotateKernel):
            if stacks.isEmpty { return RenderedOutput(text: "\(name): no stacks yet\n", isError: false) }
            return RenderedOutput(text: FoldedText.render(stacks, annotateKernel: annotateKernel), isError: false)
        case let .text(_, lines):
            return RenderedOutput(text: lines.map { $0 + "\n" }.joined(), isError: false)
        case let .interval(time):
            return RenderedOutput(text: "\n\(time)\n", isError: false)
        case let .lost(count):
            return RenderedOutput(text: "warning: \(count) print() records lost: the ring buffer was full (raise it with 'set ringbuf 16M' or print less)\n",
                                  isError: true)
        case let .warning(message):
            return RenderedOutput(text: "warning: \(message)\n", isError: true)
        case let .diagnostic(diagnostic, source):
            let renderer = DiagnosticRenderer(sourceName: source.sourceName, text: source.text, lineOffset: source.lineOffset,
                                              cell: source.cell, useColor: useColor)
            return RenderedOutput(text: renderer.render(diagnostic), isError: true)
        }
    }

    public func render(_ contents: MapContents, name: String, unit: DisplayUnit? = nil) -> String {
        switch contents {
        case let .table(table):
            return renderTable(table, name: name)
        case let .scalar(value):
            return "\(name): \(value)\n"
        case let .histogram(histogram):
            if histogram.buckets.isEmpty { return "\(name): no values yet\n" }
            return renderHistogram(histogram, unit: unit)
        case let .keyedHistograms(histograms):
            if histograms.isEmpty { return "\(name): no values yet\n" }
            return histograms.map { keyed in
                "\n\(name)[\(keyed.key)]:\n" + renderHistogram(keyed.histogram, unit: unit)
            }.joined()
        }
    }

    func renderTable(_ table: MapContents.Table, name: String) -> String {
        if table.rows.isEmpty { return "\(name): empty\n" }
        if table.rows.contains(where: { $0.key.containsStack }) { return renderStackRows(table, name: name) }
        let keyColumns = columns(of: table.keyType, fallback: "key")
        let valueColumns = columns(of: table.valueType, fallback: table.valueLabel)
        var header = keyColumns.map(\.title) + valueColumns.map(\.title)
        var grid: [[String]] = []
        var numeric = [Bool](repeating: true, count: header.count)
        for row in table.rows {
            let cells = split(row.key, keyColumns.count) + split(row.value, valueColumns.count)
            for (index, cell) in cells.enumerated() where !cell.isNumeric { numeric[index] = false }
            grid.append(cells.map(\.description))
        }
        header = header.map { $0.uppercased() }
        var widths = header.map(\.count)
        for row in grid {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return numeric[index] ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        return line(header) + grid.map(line).joined()
    }

    /// A streamed table's header line and column widths (for all of its rows), laid out
    /// as `renderTable` lays out a whole one.
    func largeTableLayout(_ table: LargeTable) -> (header: String, keyWidth: Int, valueWidth: Int) {
        let keyWidth = max(3, table.keyWidth)
        // Counts are unsigned: the largest is the widest (no string per row to find it).
        let valueWidth = max(table.valueTitle.count, String(table.values.max() ?? 0).count)
        return (largeTableLine("KEY", table.valueTitle, table: table, keyWidth: keyWidth, valueWidth: valueWidth), keyWidth, valueWidth)
    }

    /// The rows `range` (positions in the table's order) of a streamed table.
    func largeTableRows(_ table: LargeTable, _ range: Range<Int>, keyWidth: Int, valueWidth: Int) -> String {
        var out = ""
        for position in range {
            let index = table.order[position]
            out += largeTableLine(table.keyText(index), String(table.values[index]), table: table, keyWidth: keyWidth,
                                  valueWidth: valueWidth)
        }
        return out
    }

    private func largeTableLine(_ key: String, _ value: String, table: LargeTable, keyWidth: Int, valueWidth: Int) -> String {
        let keyPad = String(repeating: " ", count: keyWidth - key.count)
        let keyCell = table.isNumericKey ? keyPad + key : key + keyPad
        return keyCell + "  " + String(repeating: " ", count: valueWidth - value.count) + value + "\n"
    }

    /// Rows keyed by stacks, bpftrace style: the frames one per line inside `name[ … ]: value`.
    func renderStackRows(_ table: MapContents.Table, name: String, byteBudget: Int = .max) -> String {
        var out = ""
        for (index, row) in table.rows.enumerated() {
            if out.utf8.count > byteBudget {
                out += "… (\(table.rows.count - index) more rows not kept)\n"
                break
            }
            out += "\(name)[\n"
            for line in keyLines(row.key) { out += "    \(line)\n" }
            out += "]: \(row.value)\n\n"
        }
        return out
    }

    private func keyLines(_ key: Value) -> [String] {
        switch key {
        case let .stack(stack): return stack.frames.isEmpty ? ["[stack \(stack.id)]"] : stack.frames
        case let .record(members):
            return members.flatMap { member -> [String] in
                if case .stack = member.value { return ["\(member.name):"] + keyLines(member.value).map { "  " + $0 } }
                return ["\(member.name): \(member.value)"]
            }
        default: return [key.description]
        }
    }

    private struct Column { var title: String }

    /// A record type gets one column per field; anything else one column.
    private func columns(of type: ValueType, fallback: String) -> [Column] {
        // Stacks, symbols and probe points decode to one value, whatever their struct holds.
        if case let .named(name, _) = type, ValueDecoder.symbolicTypeNames.contains(name) { return [Column(title: fallback)] }
        if case let .record(record) = type.resolved, record.fields.count > 1 {
            return record.fields.map { Column(title: $0.name) }
        }
        return [Column(title: fallback)]
    }

    private func split(_ value: Value, _ count: Int) -> [Value] {
        if count > 1, case let .record(members) = value { return members.map(\.value) }
        return [value]
    }

    public func renderHistogram(_ histogram: Histogram, unit: DisplayUnit?) -> String {
        // A log2 histogram of nanoseconds shown in us/ms/s is bucketed again in that unit
        // ("0 -> 1", "2 -> 3" us, as bcc prints it), not labelled "0.00 -> 0.01".
        if let unit, unit != .ns, histogram.scale == .log2 {
            return renderHistogram(histogram.rebucketed(dividingBy: unit.divisor), unit: nil, title: unit.header)
        }
        return renderHistogram(histogram, unit: unit, title: unit?.header ?? "value")
    }

    private func renderHistogram(_ histogram: Histogram, unit: DisplayUnit?, title: String) -> String {
        let divisor = unit?.divisor ?? 1
        func label(_ value: Int64?) -> String {
            guard let value else { return "" }
            if value == Int64.max { return "inf" }
            return divisor == 1 ? String(value) : formatScaled(Double(value) / divisor)
        }
        let lows = histogram.buckets.map { $0.low.map(label) ?? "" }
        let highs = histogram.buckets.map { $0.high.map(label) ?? "" }
        var width = max(10, (lows + highs).map(\.count).max() ?? 0)
        let maxCount = histogram.buckets.map(\.count).max() ?? 0
        var countWidth = max(8, String(maxCount).count)
        if let widths, widths.isHeld {
            (width, countWidth) = (max(width, widths.label), max(countWidth, widths.count))
            (widths.label, widths.count) = (width, countWidth)
        }
        var out = String(repeating: " ", count: max(0, width - title.count + 1)) + title
            + String(repeating: " ", count: width + 4) + " : "
            + "count".padding(toLength: countWidth, withPad: " ", startingAt: 0) + " distribution\n"
        for (index, bucket) in histogram.buckets.enumerated() {
            let range: String
            if bucket.low == nil {
                range = pad(left: "< " + label(histogram.buckets[index].high.map { $0 + 1 }), width) + "    "
                    + String(repeating: " ", count: width)
            } else if bucket.high == nil {
                range = pad(left: ">= " + lows[index], width) + "    " + String(repeating: " ", count: width)
            } else {
                range = pad(left: lows[index], width) + " -> " + highs[index].padding(toLength: width, withPad: " ", startingAt: 0)
            }
            let stars = maxCount == 0 ? 0 : Int((Double(bucket.count) * Double(Self.barWidth) / Double(maxCount)).rounded(.up))
            out += " \(range) : " + String(bucket.count).padding(toLength: countWidth, withPad: " ", startingAt: 0)
                + " |" + String(repeating: "*", count: stars) + String(repeating: " ", count: Self.barWidth - stars) + "|\n"
        }
        return out
    }

    private func pad(left text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    private func formatScaled(_ value: Double) -> String {
        if value == value.rounded() { return String(Int64(value)) }
        if value >= 100 { return String(format: "%.0f", value) }
        if value >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

/// Left-aligned columns separated by two spaces.
func formatColumns(_ rows: [[String]]) -> String {
    var widths: [Int] = []
    for row in rows {
        for (index, cell) in row.enumerated() {
            if index >= widths.count { widths.append(0) }
            widths[index] = max(widths[index], cell.count)
        }
    }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
}

/// The histogram column widths held while `every` repeats (shared by the renderers of
/// one presenter; reset when the repetition starts).
final class HistogramWidths {
    private(set) var isHeld = false
    var label = 0
    var count = 0

    func hold() {
        (isHeld, label, count) = (true, 0, 0)
    }

    func release() {
        isHeld = false
    }
}
