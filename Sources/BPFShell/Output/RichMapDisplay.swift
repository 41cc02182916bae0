/// A map as the notebook kernel shows it: an HTML table (keys and values), or an SVG
/// bar chart per histogram, next to the text and JSON forms.
enum RichMapDisplay {
    /// MIME type → content for a `print` of a map; nil for items that stay text. Built as
    /// JSONValue: a 1,000-row map is encoded once, not serialized and parsed back.
    static func bundle(for item: OutputItem, plainText: String) -> JSONValue? {
        guard case let .map(name, contents, unit) = item else { return nil }
        var data: [(String, JSONValue)] = [("text/plain", .string(plainText))]
        let objects = JSONRenderer().objects(contents, name: name, unit: unit)
        data.append(("application/json", objects.count == 1 ? objects[0] : .array(objects)))
        switch contents {
        case let .table(table):
            data.append(("text/html", .string(html(table, name: name))))
        case let .histogram(histogram):
            data.append(("image/svg+xml", .string(svg(histogram, title: name, unit: unit))))
        case let .keyedHistograms(histograms):
            data.append(("text/html", .string(histograms.map { keyed in
                "<p><b>\(escape(name))[\(escape(keyed.key.description))]</b></p>" + svg(keyed.histogram, title: "\(name)[\(keyed.key)]", unit: unit)
            }.joined())))
        case .scalar:
            break
        }
        return .object(data)
    }

    static func html(_ table: MapContents.Table, name: String) -> String {
        var out = "<table><caption>\(escape(name))</caption><thead><tr><th>key</th><th>\(escape(table.valueLabel))</th></tr></thead><tbody>"
        for row in table.rows {
            out += "<tr><td><pre>\(escape(keyText(row.key)))</pre></td><td>\(escape(row.value.description))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    private static func keyText(_ key: Value) -> String {
        if case let .stack(stack) = key { return stack.frames.joined(separator: "\n") }
        return key.description
    }

    /// Horizontal bars, one per bucket, labelled as the text histogram labels them.
    static func svg(_ histogram: Histogram, title: String, unit: DisplayUnit?) -> String {
        let shown = unit.map { $0 == .ns ? histogram : histogram.rebucketed(dividingBy: $0.divisor) } ?? histogram
        let rowHeight = 18, labelWidth = 170, barWidth = 400
        let maxCount = max(shown.buckets.map(\.count).max() ?? 1, 1)
        let height = rowHeight * (shown.buckets.count + 1) + 8
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + barWidth + 80)\" height=\(quoted(height)) font-family=\"monospace\" font-size=\"12\">"
        out += "<text x=\"4\" y=\"14\">\(escape(title))\(unit.map { " (\($0.header))" } ?? "")</text>"
        for (index, bucket) in shown.buckets.enumerated() {
            let y = rowHeight * (index + 1) + 4
            let label = "\(bucket.low.map(String.init) ?? "<") -> \(bucket.high.map(String.init) ?? "inf")"
            let width = Int(Double(bucket.count) / Double(maxCount) * Double(barWidth))
            out += "<text x=\"4\" y=\(quoted(y + 13))>\(escape(label))</text>"
            out += "<rect x=\(quoted(labelWidth)) y=\(quoted(y + 2)) width=\(quoted(width)) height=\(quoted(rowHeight - 4)) fill=\"#4a7ebb\"/>"
            out += "<text x=\(quoted(labelWidth + width + 6)) y=\(quoted(y + 13))>\(bucket.count)</text>"
        }
        return out + "</svg>"
    }

    private static func quoted(_ number: Int) -> String { "\"\(number)\"" }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
