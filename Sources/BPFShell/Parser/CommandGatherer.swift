/// Gathers input lines into complete commands: a `{` block continues over lines until
/// its `}`. Each chunk is parsed once, here, and handed on parsed. The shell, scripts
/// and tests feed lines through the same gatherer.
public struct CommandGatherer {
    /// Lines that form one chunk of input, and what the parser made of them.
    public struct Chunk {
        public var text: String
        /// The line of the input the chunk starts on (1-based).
        public var firstLine: Int
        /// `.complete` or `.failed`; `.needsMore` only for a block still open at the end.
        public var parsed: CommandParser.Result
    }

    private var pending = ""
    private var pendingFirstLine = 1

    public init() {}

    /// True while a block is open (the prompt shows a continuation).
    public var isGathering: Bool { !pending.isEmpty }

    /// Adds one line; returns a chunk once it is complete. Blank lines between commands
    /// are skipped.
    public mutating func add(_ line: String, lineNumber: Int) -> Chunk? {
        if pending.isEmpty {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { return nil }
            pending = line
            pendingFirstLine = lineNumber
        } else {
            pending += "\n" + line
        }
        let parsed = CommandParser.parse(pending)
        if case .needsMore = parsed { return nil }
        defer { pending = "" }
        return Chunk(text: pending, firstLine: pendingFirstLine, parsed: parsed)
    }

    /// The end of input: a block never closed is handed on (and reported), never waited on.
    public mutating func finish() -> Chunk? {
        guard !pending.isEmpty else { return nil }
        defer { pending = "" }
        return Chunk(text: pending, firstLine: pendingFirstLine, parsed: .needsMore)
    }

    /// Forgets a block being typed (Ctrl-C at the prompt).
    public mutating func abandon() {
        pending = ""
    }
}
