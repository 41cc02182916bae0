/// Renders diagnostics as `input:3:12-16: error: message`, the line typed, a `~~~`
/// underline and hints, so the user sees exactly which part of their input is wrong.
public struct DiagnosticRenderer {
    public var sourceName: String
    /// The text of the command being diagnosed, split into lines (line 1 = first line).
    public var lines: [Substring]
    /// Added to a diagnostic's line to give the line in the script or session.
    public var lineOffset: Int
    /// A command typed at the prompt: its number there, and positions read
    /// "cell 35, line 1, column 31" (the prompt showed [35]).
    public var cell: Int?
    public var useColor: Bool

    public init(sourceName: String, text: String, lineOffset: Int = 0, cell: Int? = nil, useColor: Bool = false) {
        self.sourceName = sourceName
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        self.lineOffset = lineOffset
        self.cell = cell
        self.useColor = useColor
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var out = ""
        var head = sourceName
        let span = diagnostic.range.map { range in
            range.end.line == range.start.line && range.end.column - range.start.column > 1 ? "-\(range.end.column - 1)" : ""
        } ?? ""
        if let cell {
            head = "cell \(cell)"
            if let range = diagnostic.range { head += ", line \(range.start.line), column \(range.start.column)" + span }
        } else if let range = diagnostic.range {
            head += ":\(range.start.line + lineOffset):\(range.start.column)" + span
        }
        let label = diagnostic.severity.rawValue
        out += "\(head): \(paint(label + ":", diagnostic.severity)) \(Self.visible(diagnostic.message))\n"
        if let range = diagnostic.range, range.start.line >= 1, range.start.line <= lines.count {
            let line = Self.visible(String(lines[range.start.line - 1]).replacingOccurrences(of: "\t", with: " "))
            out += "    \(line)\n"
            let startColumn = max(range.start.column, 1)
            let endColumn = range.end.line == range.start.line
                ? max(range.end.column, startColumn + 1)
                : line.count + 1
            let width = max(1, min(endColumn, line.count + 1) - startColumn)
            out += "    " + String(repeating: " ", count: startColumn - 1)
                + paint(String(repeating: "~", count: width), .note) + "\n"
        }
        for detail in diagnostic.details {
            out += "    \(detail)\n"
        }
        for hint in diagnostic.hints {
            out += "\(paint("hint:", .note)) \(hint)\n"
        }
        return out
    }

    /// Control characters typed by mistake (an escape sequence) are shown, not obeyed:
    /// ESC as ^[, others as ^X, so the terminal is never driven by an error message.
    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7f }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value == 0x7f {
                out += "^?"
            } else if scalar.value < 0x20, scalar != "\n" {
                out += "^" + String(UnicodeScalar(scalar.value + 0x40) ?? "?")
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private func paint(_ text: String, _ severity: Diagnostic.Severity) -> String {
        guard useColor else { return text }
        let code: String
        switch severity {
        case .error: code = "1;31"
        case .warning: code = "1;35"
        case .note: code = "1;32"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
