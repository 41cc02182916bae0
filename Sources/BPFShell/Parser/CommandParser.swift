/// Splits input into commands: one per line or `;`, with `{ … }` blocks spanning lines.
/// It never fails on C inside a block: strings, characters and comments are respected
/// and the block's text is handed on untouched.
public enum CommandParser {
    public enum Result: Equatable {
        case complete([CommandSyntax])
        /// An open `{` (or an open comment inside one): read another line.
        case needsMore
        case failed([Diagnostic])
    }

    public static func parse(_ text: String) -> Result {
        let map = SourceMap(text)
        let bytes = map.bytes
        var lexer = CLexer()
        var commands: [CommandSyntax] = []
        var diagnostics: [Diagnostic] = []

        var segmentStart = 0
        var words: [(Int, Int)] = []
        var wordStart: Int?
        var angleDepth = 0
        var block: (open: Int, close: Int)?
        var blockOpen: Int?
        var trailing: (Int, Int)?

        func closeWord(at end: Int) {
            if let start = wordStart {
                if block != nil { trailing = trailing ?? (start, end) } else { words.append((start, end)) }
            }
            wordStart = nil
        }

        func finishSegment(at end: Int) {
            closeWord(at: end)
            defer {
                words = []
                block = nil
                blockOpen = nil
                trailing = nil
                angleDepth = 0
            }
            guard let first = words.first else {
                if let block {
                    diagnostics.append(.error("a block needs a command before it",
                                              at: map.range(block.open, block.open + 1),
                                              hint: "for shared C declarations write: c { … }"))
                }
                return
            }
            if let trailing {
                diagnostics.append(.error("unexpected text after the block",
                                          at: map.range(trailing.0, trailing.1),
                                          hint: "put each command on its own line or separate them with ';'"))
                return
            }
            let tokens = words.map { Token(map.text($0.0, $0.1), map.range($0.0, $0.1)) }
            var code: CodeBlock?
            var commandEnd = words.last?.1 ?? first.1
            if let block {
                code = CodeBlock(text: map.text(block.open + 1, block.close),
                                 start: map.location(at: block.open + 1),
                                 range: map.range(block.open, block.close + 1))
                commandEnd = block.close + 1
            }
            commands.append(CommandSyntax(name: tokens[0], arguments: Array(tokens.dropFirst()), block: code,
                                          text: map.text(first.0, commandEnd),
                                          range: map.range(first.0, commandEnd)))
        }

        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : nil
            let depthBefore = lexer.depth
            // `sys_enter_open{,at}`: a brace group inside a word is a spec's alternatives,
            // not a block (shell-style brace expansion; the block's '{' follows a space).
            if byte == UInt8(ascii: "{"), depthBefore == 0, blockOpen == nil, block == nil, wordStart != nil,
               let close = Self.braceGroupEnd(bytes, openAt: index) {
                index = close + 1
                continue
            }
            let (isCode, skip) = lexer.feed(byte, next: next)
            if depthBefore > 0 || blockOpen != nil {
                // Inside a block: only watch for the brace that closes it.
                if isCode, byte == UInt8(ascii: "}"), lexer.depth == 0, let open = blockOpen {
                    block = (open, index)
                    blockOpen = nil
                }
                index += 1 + skip
                continue
            }
            if lexer.depth < 0 {
                diagnostics.append(.error("unmatched '}'", at: map.range(index, index + 1),
                                          hint: "every '}' closes a '{' opened earlier in the command"))
                lexer = CLexer()
                index += 1
                continue
            }
            let isSeparator = byte == UInt8(ascii: "\n") || (byte == UInt8(ascii: ";") && isCode)
            if isSeparator {
                finishSegment(at: index)
                segmentStart = index + 1
            } else if !isCode {
                // A comment at command level or a string: a string is part of a word; a
                // quote inside a comment is only comment.
                if lexer.state == .string || (byte == UInt8(ascii: "\"") && lexer.state != .commandComment) {
                    if wordStart == nil { wordStart = index }
                } else {
                    closeWord(at: index)
                }
            } else if byte == UInt8(ascii: "{") {
                closeWord(at: index)
                blockOpen = index
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                if angleDepth == 0 { closeWord(at: index) }
            } else {
                if byte == UInt8(ascii: "<") || byte == UInt8(ascii: "(") { angleDepth += 1 }
                if byte == UInt8(ascii: ">") || byte == UInt8(ascii: ")") { angleDepth = max(0, angleDepth - 1) }
                if wordStart == nil { wordStart = index }
            }
            index += 1 + skip
        }
        if lexer.isIncomplete {
            return .needsMore
        }
        _ = segmentStart
        finishSegment(at: bytes.count)
        return diagnostics.isEmpty ? .complete(commands) : .failed(diagnostics)
    }

    /// The `}` of a brace group such as `{,at}` or `{read,write}` opened at `open`: only
    /// name characters, wildcards and commas inside, at least one comma, on one line.
    static func braceGroupEnd(_ bytes: [UInt8], openAt open: Int) -> Int? {
        var index = open + 1
        var hasComma = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "}") { return hasComma ? index : nil }
            if byte == UInt8(ascii: ",") {
                hasComma = true
            } else if !(BodyScanner.isIdentifierStart(byte) || BodyScanner.isDigit(byte) || byte == UInt8(ascii: "*")
                        || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")) {
                return nil
            }
            index += 1
        }
        return nil
    }

    /// Where the `{` that is still open at the end of `text` was typed.
    public static func unclosedBrace(in text: String) -> SourceRange? {
        let map = SourceMap(text)
        var lexer = CLexer()
        var opened: [Int] = []
        var index = 0
        while index < map.bytes.count {
            let byte = map.bytes[index]
            let next = index + 1 < map.bytes.count ? map.bytes[index + 1] : nil
            let (isCode, skip) = lexer.feed(byte, next: next)
            if isCode, byte == UInt8(ascii: "{") { opened.append(index) }
            if isCode, byte == UInt8(ascii: "}"), !opened.isEmpty { opened.removeLast() }
            index += 1 + skip
        }
        return opened.first.map { map.range($0, $0 + 1) }
    }
}
