/// Finds what a probe body refers to, without compiling it: identifiers (to declare
/// only the session maps it names) and map operations (to check their first argument
/// names a map of the right kind before clang gives a cryptic error).
public struct BodyScanner {
    public struct MapUse: Equatable, Sendable {
        public var operation: String
        public var mapName: String
        /// Where the map name was typed, in the cell.
        public var range: SourceRange
        /// How many arguments the call has (commas at its own parenthesis level, plus one).
        public var argumentCount: Int
    }


    public private(set) var identifiers: Set<String> = []
    public private(set) var mapUses: [MapUse] = []

    /// Scans `block`, reporting ranges in the coordinates of the cell it was typed in.
    public init(_ block: CodeBlock) {
        let bytes = Array(block.text.utf8)
        var tokens: [(text: String, offset: Int)] = []
        var lexer = CLexer()
        _ = lexer.feed(UInt8(ascii: "{"), next: nil) // inside a block: C comments and strings apply
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : nil
            let (isCode, skip) = lexer.feed(byte, next: next)
            if isCode, Self.isIdentifierStart(byte) || Self.isDigit(byte) {
                // A word: an identifier, or a number (so 0x1f never reads as identifier x1f).
                var end = index + 1
                while end < bytes.count, Self.isIdentifierStart(bytes[end]) || Self.isDigit(bytes[end]) { end += 1 }
                let word = String(decoding: bytes[index..<end], as: UTF8.self)
                tokens.append((word, index))
                if Self.isIdentifierStart(byte) { identifiers.insert(word) }
                index = end
                continue
            }
            if isCode, ![32, 9, 10, 13].contains(byte) {
                tokens.append((String(UnicodeScalar(byte)), index))
            }
            index += 1 + skip
        }
        for position in tokens.indices where position + 2 < tokens.count {
            let name = tokens[position].text
            guard Builtin.mapOperationNames.contains(name), tokens[position + 1].text == "(" else { continue }
            // Skip member accesses like `x.count(` or `p->set(`.
            if position > 0, [".", ">"].contains(tokens[position - 1].text) { continue }
            let argument = tokens[position + 2]
            guard let first = argument.text.unicodeScalars.first, first.isASCII,
                  Self.isIdentifierStart(UInt8(first.value)) else { continue }
            mapUses.append(MapUse(operation: name, mapName: argument.text,
                                  range: Self.range(of: argument.offset, length: argument.text.utf8.count,
                                                    in: bytes, block: block),
                                  argumentCount: Self.argumentCount(tokens.map(\.text), openingAt: position + 1)))
        }
    }

    /// Arguments of the call whose '(' is token `open`: top-level commas plus one.
    static func argumentCount(_ tokens: [String], openingAt open: Int) -> Int {
        var depth = 0, commas = 0
        for token in tokens[open...] {
            switch token {
            case "(", "[", "{": depth += 1
            case ")", "]", "}":
                depth -= 1
                if depth == 0 { return commas + 1 }
            case "," where depth == 1: commas += 1
            default: break
            }
        }
        return commas + 1
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
    }

    /// Converts an offset inside the block's text into the cell's line and column.
    static func range(of offset: Int, length: Int, in bytes: [UInt8], block: CodeBlock) -> SourceRange {
        var line = block.start.line, column = block.start.column
        for byte in bytes[0..<offset] {
            if byte == 10 { line += 1; column = 1 } else { column += 1 }
        }
        return SourceRange(line: line, column: column, length: length)
    }
}
