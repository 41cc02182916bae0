/// print() checked before clang and the verifier see it: the format against what
/// bpf_snprintf can do, and against its arguments where their type is known from the
/// text (a built-in's result, a literal). A mismatch is an error at the user's text,
/// not the verifier's "Invalid format string" or garbage numbers at run time.
public struct PrintCheck {
    /// One problem, at a byte offset and length inside the block's text.
    public struct Problem: Equatable, Sendable {
        public var message: String
        public var hint: String
        public var offset: Int
        public var length: Int
    }

    /// bpf_snprintf takes at most this many values (MAX_BPRINTF_VARARGS).
    public static let maximumValues = 12

    public static let supported = "%d %i %u %x %X (with l or ll), %s, %c, %p, %%; flags 0 + - and space, a width"

    /// A conversion in the format: what kind of value it takes, and where it was typed.
    struct Conversion {
        enum Kind { case integer, text, character, pointer }
        var kind: Kind
        var text: String
        var offset: Int
    }

    /// What type an argument's text shows it has, where it shows at all.
    enum KnownType {
        case text(String)
        case number(String)
        /// A key type the shell names (probe_t, ksym_t, usym_t): the kernel cannot print it.
        case keyOnly(String)

        init?(_ argument: String) {
            let trimmed = argument.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("\"") { self = .text("a string literal"); return }
            if let first = trimmed.first, first.isNumber { self = .number(trimmed); return }
            if trimmed.hasSuffix(".str") { self = .text("'\(trimmed)'"); return }
            guard let open = trimmed.firstIndex(of: "("), trimmed.hasSuffix(")"),
                  let builtin = Builtin.named(String(trimmed[..<open])) else { return nil }
            switch builtin.returns {
            case "str_t", "comm_t", "const char *": self = .text("\(builtin.name)() (\(builtin.returns))")
            case "kstack_t", "ustack_t": self = .text("\(builtin.name)() (its frames go under the line)")
            case "u32", "u64", "int": self = .number("\(builtin.name)() (\(builtin.returns))")
            case "probe_t", "ksym_t", "usym_t": self = .keyOnly("\(builtin.name)() (\(builtin.returns))")
            default: return nil
            }
        }
    }

    /// Checks every print() call in `text` (a probe body or a c block).
    public static func problems(in text: String) -> [Problem] {
        CallScanner.calls(named: "print", in: text).flatMap(check)
    }

    static func check(_ call: CallScanner.Call) -> [Problem] {
        guard let format = call.arguments.first, let literal = format.stringLiteral else { return [] }
        var problems: [Problem] = []
        let (conversions, formatProblems) = parse(literal.text, offset: literal.offset)
        problems += formatProblems
        guard formatProblems.isEmpty else { return problems }
        let values = Array(call.arguments.dropFirst())
        if values.count > maximumValues {
            problems.append(Problem(message: "print() takes at most \(maximumValues) values; this one has \(values.count)",
                                    hint: "split it into several print() calls", offset: values[maximumValues].offset,
                                    length: values[maximumValues].text.count))
        }
        if conversions.count != values.count {
            let noun = conversions.count == 1 ? "conversion" : "conversions"
            problems.append(Problem(message: "print() format has \(conversions.count) \(noun) but \(values.count) value\(values.count == 1 ? "" : "s") follow\(values.count == 1 ? "s" : "")",
                                    hint: "give one value per %-conversion (write %% for a percent sign)",
                                    offset: call.nameOffset, length: call.length))
            return problems
        }
        for (conversion, value) in zip(conversions, values) {
            guard let known = KnownType(value.text) else { continue }
            if case let .keyOnly(what) = known {
                problems.append(Problem(message: "\(what) cannot be printed by print(): the kernel holds only its number",
                                        hint: "count it in a map instead (count(m, \(value.text))); print MAP shows it by name",
                                        offset: value.offset, length: value.text.count))
                continue
            }
            switch (conversion.kind, known) {
            case (.integer, .text(let what)), (.character, .text(let what)):
                problems.append(Problem(message: "'\(conversion.text)' formats a number, but \(what) is text",
                                        hint: "use %s for text", offset: value.offset, length: value.text.count))
            case (.text, .number(let what)):
                problems.append(Problem(message: "'%s' formats text, but \(what) is a number",
                                        hint: "use %d, %u or %x for numbers", offset: value.offset, length: value.text.count))
            default:
                break
            }
        }
        return problems
    }

    /// The conversions in a format literal as typed (escapes left as they are: none holds '%').
    static func parse(_ format: String, offset base: Int) -> ([Conversion], [Problem]) {
        let bytes = Array(format.utf8)
        var conversions: [Conversion] = []
        var problems: [Problem] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "%") else {
                index += 1
                continue
            }
            let start = index
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "%") {
                index += 1
                continue
            }
            while index < bytes.count, "0+- ".utf8.contains(bytes[index]) { index += 1 }
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            var unsupported: String?
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                unsupported = "bpf_snprintf has no precision ('.N')"
                while index < bytes.count, bytes[index] == UInt8(ascii: ".") || (bytes[index] >= 48 && bytes[index] <= 57) {
                    index += 1
                }
            }
            var lengthModifiers = 0
            while index < bytes.count, bytes[index] == UInt8(ascii: "l"), lengthModifiers < 2 {
                lengthModifiers += 1
                index += 1
            }
            let conversion = index < bytes.count ? bytes[index] : 0
            index += 1
            let text = String(decoding: bytes[start..<min(index, bytes.count)], as: UTF8.self)
            let kind: Conversion.Kind?
            switch conversion {
            case UInt8(ascii: "d"), UInt8(ascii: "i"), UInt8(ascii: "u"), UInt8(ascii: "x"), UInt8(ascii: "X"): kind = .integer
            case UInt8(ascii: "s"): kind = lengthModifiers == 0 ? .text : nil
            case UInt8(ascii: "c"): kind = lengthModifiers == 0 ? .character : nil
            case UInt8(ascii: "p"):
                kind = lengthModifiers == 0 ? .pointer : nil
                // %pK, %px, %pB, %pI4, %pi6, %pks, %pus: the letters after p belong to it.
                while index < bytes.count, (bytes[index] >= 65 && bytes[index] <= 90) || (bytes[index] >= 97 && bytes[index] <= 122)
                    || (bytes[index] >= 48 && bytes[index] <= 57) {
                    index += 1
                }
            case UInt8(ascii: "f"), UInt8(ascii: "e"), UInt8(ascii: "g"):
                unsupported = unsupported ?? "BPF has no floating point"
                kind = nil
            default: kind = nil
            }
            // A '%' not followed by a conversion letter is a percent sign meant as text.
            let isLonePercent = conversion == 0 || " \t\\\n,;:)!?\"'".utf8.contains(conversion)
            if kind == nil, unsupported == nil, isLonePercent {
                problems.append(Problem(message: "a lone '%' in print()'s format: write %% for a percent sign",
                                        hint: "for example: print(\"100%%\\n\")", offset: base + start, length: 1))
                continue
            }
            if let reason = unsupported ?? (kind == nil ? "bpf_snprintf does not know this conversion" : nil) {
                problems.append(Problem(message: "print() cannot format '\(text)': \(reason)",
                                        hint: "bpf_snprintf supports " + supported, offset: base + start, length: text.count))
                continue
            }
            if let kind { conversions.append(Conversion(kind: kind, text: text, offset: base + start)) }
        }
        return (conversions, problems)
    }
}

/// Finds calls of a function in C text and splits their arguments at top-level commas,
/// keeping each argument's text and offset (strings and comments respected).
public enum CallScanner {
    public struct Argument: Equatable, Sendable {
        public var text: String
        public var offset: Int

        /// The literal's text between its quotes and where that starts, when the
        /// argument is one string literal.
        var stringLiteral: (text: String, offset: Int)? {
            guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\""),
                  !text.dropFirst().dropLast().replacingOccurrences(of: "\\\"", with: "").contains("\"") else { return nil }
            return (String(text.dropFirst().dropLast()), offset + 1)
        }

        /// The argument between `start` and `end`, without the white space around it.
        static func trimmed(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Argument {
            var first = start, last = end
            while first < last, [32, 9, 10, 13].contains(bytes[first]) { first += 1 }
            while last > first, [32, 9, 10, 13].contains(bytes[last - 1]) { last -= 1 }
            return Argument(text: String(decoding: bytes[first..<last], as: UTF8.self), offset: first)
        }
    }

    public struct Call: Equatable, Sendable {
        public var nameOffset: Int
        /// From the name to the closing parenthesis.
        public var length: Int
        public var arguments: [Argument]
    }

    public static func calls(named name: String, in text: String) -> [Call] {
        let bytes = Array(text.utf8)
        let nameBytes = Array(name.utf8)
        var calls: [Call] = []
        var lexer = CLexer()
        _ = lexer.feed(UInt8(ascii: "{"), next: nil) // inside a block: C comments and strings apply
        var index = 0
        var previousCode: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            let (isCode, skip) = lexer.feed(byte, next: index + 1 < bytes.count ? bytes[index + 1] : nil)
            if isCode, bytes[index...].starts(with: nameBytes), !BodyScanner.isIdentifierStart(previousCode),
               !BodyScanner.isDigit(previousCode), previousCode != UInt8(ascii: "."), previousCode != UInt8(ascii: ">") {
                var cursor = index + nameBytes.count
                while cursor < bytes.count, bytes[cursor] == 32 || bytes[cursor] == 9 { cursor += 1 }
                if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "("),
                   let (arguments, end) = splitArguments(bytes, openAt: cursor) {
                    calls.append(Call(nameOffset: index, length: end + 1 - index, arguments: arguments))
                }
            }
            if isCode, byte != 32, byte != 9, byte != 10 { previousCode = byte }
            index += 1 + skip
        }
        return calls
    }

    /// The arguments of the call whose '(' is at `open`, and the offset of its ')'.
    static func splitArguments(_ bytes: [UInt8], openAt open: Int) -> ([Argument], Int)? {
        var lexer = CLexer()
        _ = lexer.feed(UInt8(ascii: "{"), next: nil)
        var depth = 0
        var arguments: [Argument] = []
        var start = open + 1
        var index = open
        while index < bytes.count {
            let byte = bytes[index]
            let (isCode, skip) = lexer.feed(byte, next: index + 1 < bytes.count ? bytes[index + 1] : nil)
            if isCode {
                switch byte {
                case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
                case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                    if depth == 0 {
                        let last = Argument.trimmed(bytes, start, index)
                        if !(arguments.isEmpty && last.text.isEmpty) { arguments.append(last) }
                        return (arguments, index)
                    }
                case UInt8(ascii: ",") where depth == 1:
                    arguments.append(Argument.trimmed(bytes, start, index))
                    start = index + 1
                default: break
                }
            }
            index += 1 + skip
        }
        return nil
    }
}
