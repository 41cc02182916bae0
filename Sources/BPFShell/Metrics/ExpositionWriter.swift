/// The two text formats a scraper may ask for: OpenMetrics 1.0 (Prometheus asks for it
/// first) and Prometheus's own 0.0.4 text format (promtool, curl, older scrapers).
public enum ExpositionFormat: Sendable {
    case openMetrics
    case prometheusText

    public var contentType: String {
        switch self {
        case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
        case .prometheusText: return "text/plain; version=0.0.4; charset=utf-8"
        }
    }

    /// Content negotiation on the Accept header: OpenMetrics when the client ranks it at
    /// least as high as plain text (Prometheus lists it first, q=1), 0.0.4 otherwise.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheusText }
        var openMetrics = 0.0, text = 0.0
        for item in accept.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            switch parts.first {
            case "application/openmetrics-text": openMetrics = max(openMetrics, quality)
            case "text/plain", "*/*", "text/*": text = max(text, quality)
            default: break
            }
        }
        return openMetrics > 0 && openMetrics >= text ? .openMetrics : .prometheusText
    }
}

/// Writes families in an exposition format. Both formats share the sample lines; they
/// differ in what the TYPE and HELP lines name (OpenMetrics: the family; 0.0.4: a
/// counter's `_total` name) and in OpenMetrics's closing `# EOF`.
public enum ExpositionWriter {
    public static func write(_ families: [MetricFamily], format: ExpositionFormat) -> String {
        var text = ""
        text.reserveCapacity(families.reduce(0) { $0 + 64 + $1.samples.count * 48 })
        for family in families {
            let described = format == .prometheusText && family.kind == .counter ? family.name + "_total" : family.name
            text += "# HELP \(described) \(escapeHelp(family.help, format: format))\n"
            text += "# TYPE \(described) \(family.kind.rawValue)\n"
            for sample in family.samples {
                text += family.name
                text += sample.suffix
                if !sample.labels.isEmpty {
                    text += "{"
                    for (index, label) in sample.labels.enumerated() {
                        if index > 0 { text += "," }
                        text += label.name
                        text += "=\""
                        text += escapeLabel(label.value)
                        text += "\""
                    }
                    text += "}"
                }
                text += " "
                text += sample.value.text
                text += "\n"
            }
        }
        if format == .openMetrics { text += "# EOF\n" }
        return text
    }

    /// Label values escape backslash, double quote and newline (both formats).
    static func escapeLabel(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// HELP text escapes backslash and newline; OpenMetrics also the double quote
    /// (the 0.0.4 parser would keep its backslash).
    static func escapeHelp(_ value: String, format: ExpositionFormat) -> String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
        return format == .openMetrics ? escaped.replacingOccurrences(of: "\"", with: "\\\"") : escaped
    }
}
