/// A word of a command, with where it was typed.
public struct Token: Equatable, Sendable {
    public var text: String
    public var range: SourceRange

    public init(_ text: String, _ range: SourceRange) {
        self.text = text
        self.range = range
    }
}

/// The text between a `{` and its matching `}`, with the position of its first byte,
/// so generated C can carry `#line` directives back to what the user typed.
public struct CodeBlock: Equatable, Sendable {
    public var text: String
    /// Where the first byte after `{` was typed.
    public var start: SourceLocation
    /// The whole block, braces included.
    public var range: SourceRange

    public init(text: String, start: SourceLocation, range: SourceRange) {
        self.text = text
        self.start = start
        self.range = range
    }
}

/// One command as typed: its name, its words and an optional `{ … }` block.
/// Each command type gives meaning to the words; the parser knows only the shape.
public struct CommandSyntax: Equatable, Sendable {
    public var name: Token
    public var arguments: [Token]
    public var block: CodeBlock?
    /// The command exactly as typed (for history, save and show).
    public var text: String
    public var range: SourceRange

    /// The range from the first argument to the last (or the name when there are none).
    public var argumentsRange: SourceRange {
        guard let first = arguments.first, let last = arguments.last else { return name.range }
        return SourceRange(start: first.range.start, end: last.range.end)
    }
}
