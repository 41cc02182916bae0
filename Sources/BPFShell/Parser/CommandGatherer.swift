/// Gathers input lines into complete commands: a `{` block continues over lines until
/// its `}`. The lexer runs once over each line as it arrives (blocks of any size are
/// read in linear time); each complete chunk is parsed once, here, and handed on
/// parsed. The shell, scripts and tests feed lines through the same gatherer.
public struct CommandGatherer {
    /// Lines that form one chunk of input, and what the parser made of them.
    public struct Chunk {
        public var text: String
        /// The line of the input the chunk starts on (1-based).
        public var firstLine: Int
        /// `.complete` or `.failed`; `.needsMore` only for a block still open at the end.
        public var parsed: CommandParser.Result
    }

    /// One command (a probe with its whole body) may be this long; longer is refused.
    public static let maximumCommandBytes = 4 << 20

    private var pending = ""
    private var pendingBytes = 0
    private var pendingFirstLine = 1
    private var lexer = CLexer()
    private var isOversized = false
    /// Set when the parser saw an open block the running lexer did not ("} {" resets the
    /// parser's depth mid-line): from then on this chunk is parsed at every line.
    private var reparsesEachLine = false

    public init() {}

    /// True while a block is open (the prompt shows a continuation).
    public var isGathering: Bool { !pending.isEmpty || isOversized }

    /// The lines of the open block so far (Tab on a later line completes in its context).
    public var pendingText: String { pending }

    /// Adds one line; returns a chunk once it is complete. Blank lines between commands
    /// are skipped.
    public mutating func add(_ line: String, lineNumber: Int) -> Chunk? {
        if pending.isEmpty, !isOversized {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { return nil }
            pendingFirstLine = lineNumber
        }
        pendingBytes += line.utf8.count + 1
        if pendingBytes > Self.maximumCommandBytes {
            // Keep reading to the block's end, but not its text: it is refused whole.
            pending = ""
            isOversized = true
        } else {
            pending += pending.isEmpty ? line : "\n" + line
        }
        if reparsesEachLine, !isOversized {
            let parsed = CommandParser.parse(pending)
            if case .needsMore = parsed { return nil }
            return takeChunk(parsed: parsed)
        }
        feed(line)
        if lexer.depth < 0 {
            lexer = CLexer() // an unmatched '}': complete; the parser says where
        } else if lexer.isIncomplete {
            return nil
        }
        guard !isOversized else { return takeChunk(parsed: nil) }
        let parsed = CommandParser.parse(pending)
        if case .needsMore = parsed {
            reparsesEachLine = true
            return nil
        }
        return takeChunk(parsed: parsed)
    }

    /// The end of input: a block never closed is handed on (and reported), never waited on.
    public mutating func finish() -> Chunk? {
        guard isGathering else { return nil }
        return takeChunk(parsed: isOversized ? nil : .needsMore)
    }

    /// Forgets a block being typed (Ctrl-C at the prompt).
    public mutating func abandon() {
        pending = ""
        pendingBytes = 0
        isOversized = false
        reparsesEachLine = false
        lexer = CLexer()
    }

    private mutating func feed(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(10)
        var index = 0
        while index < bytes.count {
            let (_, skip) = lexer.feed(bytes[index], next: index + 1 < bytes.count ? bytes[index + 1] : nil)
            index += 1 + skip
        }
    }

    private mutating func takeChunk(parsed: CommandParser.Result?) -> Chunk {
        defer { abandon() }
        if isOversized {
            let limit = Self.maximumCommandBytes >> 20
            return Chunk(text: "", firstLine: pendingFirstLine,
                         parsed: .failed([.error("the command starting on line \(pendingFirstLine) is longer than \(limit) MiB; it was not run",
                                                 hint: "split the code into c { } blocks and several probes")]))
        }
        return Chunk(text: pending, firstLine: pendingFirstLine, parsed: parsed ?? CommandParser.parse(pending))
    }
}
