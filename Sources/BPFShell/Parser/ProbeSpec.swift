/// A parsed probe point such as `tracepoint:syscalls:sys_enter_openat`: the same on
/// every machine; resolving it against the running kernel is the session's job.
public struct ProbeSpec: Equatable, Sendable, CustomStringConvertible {
    public var kind: ProbeKind
    /// The parts after the kind, e.g. ["syscalls", "sys_enter_openat"].
    public var parts: [String]
    public var range: SourceRange?

    public init(kind: ProbeKind, parts: [String], range: SourceRange? = nil) {
        self.kind = kind
        self.parts = parts
        self.range = range
    }

    public var description: String {
        ([kind.rawValue] + parts).joined(separator: ":")
    }

    public var hasWildcard: Bool {
        parts.contains { $0.contains("*") || $0.contains("?") }
    }

    /// `a{b,c}d{e,f}` → abe, abf, ace, acf (shell brace expansion, one level per group).
    public static func expandBraces(_ text: String) -> [String] {
        guard let open = text.firstIndex(of: "{"), let close = text[open...].firstIndex(of: "}") else { return [text] }
        let prefix = String(text[..<open])
        let alternatives = text[text.index(after: open)..<close].split(separator: ",", omittingEmptySubsequences: false)
        let rest = expandBraces(String(text[text.index(after: close)...]))
        return alternatives.flatMap { alternative in rest.map { prefix + alternative + $0 } }
    }

    /// A comma-separated list of specs, each expanded: `tracepoint:syscalls:sys_enter_open{,at}, tp_btf:sched_switch`.
    /// Ranges point at the piece of the list each spec came from.
    public static func parseList(_ tokens: [Token]) throws(Diagnostic) -> [ProbeSpec] {
        var specs: [ProbeSpec] = []
        for token in tokens {
            var pieceStart = 0
            var depth = 0
            let characters = Array(token.text)
            for index in 0...characters.count {
                let isEnd = index == characters.count
                if !isEnd {
                    if characters[index] == "{" { depth += 1 }
                    if characters[index] == "}" { depth -= 1 }
                    guard characters[index] == ",", depth == 0 else { continue }
                }
                let piece = String(characters[pieceStart..<index])
                defer { pieceStart = index + 1 }
                if piece.isEmpty { continue }
                let range = SourceRange(line: token.range.start.line, column: token.range.start.column + pieceStart,
                                        length: piece.count)
                for expanded in expandBraces(piece) {
                    var spec = try parse(Token(expanded, range))
                    spec.range = range
                    specs.append(spec)
                }
            }
        }
        return specs
    }

    public static func parse(_ token: Token) throws(Diagnostic) -> ProbeSpec {
        let text = token.text
        guard let colon = text.firstIndex(of: ":") else {
            throw .error("'\(text)' is not a probe point", at: token.range,
                         hint: "write KIND:WHAT, for example tracepoint:syscalls:sys_enter_openat")
        }
        let kindText = String(text[..<colon])
        let kindRange = SourceRange(line: token.range.start.line, column: token.range.start.column,
                                    length: kindText.count)
        if kindText.isEmpty {
            throw Diagnostic(.error, "the probe kind is missing before ':'", at: SourceRange(line: token.range.start.line,
                             column: token.range.start.column, length: 1),
                             hints: ["probe kinds: " + ProbeKind.allCases.map(\.rawValue).joined(separator: ", ")])
        }
        guard let kind = ProbeKind.named(kindText) else {
            let names = ProbeKind.allCases.flatMap(\.aliases).filter { $0.count > 2 }
            var hints = [Suggestions.hint(for: kindText, in: names)].compactMap { $0 }
            hints.append("probe kinds: " + ProbeKind.allCases.map(\.rawValue).joined(separator: ", "))
            throw Diagnostic(.error, "unknown probe kind '\(kindText)'", at: kindRange, hints: hints)
        }
        let parts = String(text[text.index(after: colon)...])
            .split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard kind.partCount.contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw .error("'\(text)' does not match \(kind.syntax)", at: token.range)
        }
        if kind == .profile, parts[0] != "hz" {
            throw .error("profile probes are written profile:hz:RATE", at: token.range,
                         hint: "for example profile:hz:99")
        }
        return ProbeSpec(kind: kind, parts: parts, range: token.range)
    }
}
