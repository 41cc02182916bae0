/// Walks text the way C's lexer sees it, so braces, semicolons and `#` inside
/// strings, character literals and comments are never taken for structure.
struct CLexer {
    enum State: Equatable {
        case code, string, character, lineComment, blockComment, commandComment
    }

    private(set) var state: State = .code
    private(set) var depth = 0
    private var escaped = false

    /// Feeds one byte (`next` is the following byte, for two-byte tokens) and returns
    /// true when the byte is structural code: outside strings, characters and comments.
    /// Returns how many extra bytes the caller should skip (for `//` and `/*`).
    mutating func feed(_ byte: UInt8, next: UInt8?) -> (isCode: Bool, skip: Int) {
        switch state {
        case .string, .character:
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == (state == .string ? UInt8(ascii: "\"") : UInt8(ascii: "'")) {
                state = .code
            } else if byte == UInt8(ascii: "\n") {
                state = .code // an unterminated literal ends at the line, as in C
            }
            return (false, 0)
        case .lineComment, .commandComment:
            if byte == UInt8(ascii: "\n") {
                state = .code
                return (true, 0)
            }
            return (false, 0)
        case .blockComment:
            if byte == UInt8(ascii: "*"), next == UInt8(ascii: "/") {
                state = .code
                return (false, 1)
            }
            return (false, 0)
        case .code:
            switch byte {
            case UInt8(ascii: "\""):
                if depth > 0 { state = .string; return (false, 0) }
                state = .string
                return (false, 0)
            case UInt8(ascii: "'"):
                if depth > 0 { state = .character }
                return (depth == 0, 0)
            case UInt8(ascii: "/") where next == UInt8(ascii: "/") && depth > 0:
                state = .lineComment
                return (false, 1)
            case UInt8(ascii: "/") where next == UInt8(ascii: "*") && depth > 0:
                state = .blockComment
                return (false, 1)
            case UInt8(ascii: "#") where depth == 0:
                state = .commandComment
                return (false, 0)
            case UInt8(ascii: "{"):
                depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
            default:
                break
            }
            return (true, 0)
        }
    }

    /// True when more input is needed: a block or a block comment is still open.
    var isIncomplete: Bool {
        depth > 0 || state == .blockComment
    }
}
