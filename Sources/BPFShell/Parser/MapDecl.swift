import Foundation

/// The kinds of session map a user can declare.
public enum MapKind: Equatable, Sendable {
    case hash(key: String, value: String)
    /// A per-CPU counter keyed by `key` (a single counter when nil).
    case count(key: String?)
    /// A log2 histogram; one per key when `key` is set.
    case hist(key: String?)
    case lhist(min: Int64, max: Int64, step: Int64)
    case array(value: String)
    /// count, sum, min, max and average per key (`stats<K>`), or only the minimum or
    /// maximum (`min<K>`, `max<K>`): one per-CPU record per key, folded when read.
    case stats(key: String, shows: StatsColumns)

    public enum StatsColumns: String, Sendable {
        case all = "stats", minimum = "min", maximum = "max"
    }

    public var name: String {
        switch self {
        case .hash: return "hash"
        case .count: return "count"
        case .hist: return "hist"
        case .lhist: return "lhist"
        case .array: return "array"
        case let .stats(_, shows): return shows.rawValue
        }
    }

    /// How the declaration is written back (for `maps`, `show` and `save`).
    public var description: String {
        switch self {
        case let .hash(key, value): return "hash<\(key), \(value)>"
        case let .count(key): return key.map { "count<\($0)>" } ?? "count"
        case let .hist(key): return key.map { "hist<\($0)>" } ?? "hist"
        case let .lhist(min, max, step): return "lhist(\(min), \(max), \(step))"
        case let .array(value): return "array<\(value)>"
        case let .stats(key, shows): return "\(shows.rawValue)<\(key)>"
        }
    }

    public var isHistogram: Bool {
        switch self {
        case .hist, .lhist: return true
        default: return false
        }
    }

    static let kindNames = ["hash", "count", "hist", "lhist", "array", "stats", "min", "max"]

    /// A table's value column: "count" for counters, "value" otherwise.
    var valueLabel: String {
        if case .count = self { return "count" }
        return "value"
    }

    /// Keyed u64 counters (count<K>, hash<K, u64>): sorted, and cut to a top N, by value.
    var holdsCounters: Bool {
        switch self {
        case .count(_?): return true
        case let .hash(_, value): return ["u64", "__u64", "unsigned long long"].contains(value)
        default: return false
        }
    }
}

/// A `map NAME KIND [size N]` declaration: the same on every machine.
public struct MapDecl: Equatable, Sendable {
    public static let defaultSize = 10240
    /// Log2 slots: slot i holds values in [2^i, 2^(i+1)), slot 0 also holds 0.
    public static let log2Slots = 64

    public var name: String
    public var kind: MapKind
    public var size: Int?
    public var nameRange: SourceRange?

    public init(name: String, kind: MapKind, size: Int? = nil, nameRange: SourceRange? = nil) {
        self.name = name
        self.kind = kind
        self.size = size
        self.nameRange = nameRange
    }

    /// The kernel map's max_entries.
    public var maxEntries: Int {
        switch kind {
        case .hist(nil): return Self.log2Slots
        case .count(nil): return 1
        case let .lhist(min, max, step):
            // Rounded up without adding: MAX - MIN + STEP could pass Int64.max (parse checked MAX - MIN).
            let span = max &- min
            return Int(span / step + (span % step == 0 ? 0 : 1)) + 2
        default: return size ?? Self.defaultSize
        }
    }

    public var declaration: String {
        var text = "map \(name) \(kind.description)"
        if let size { text += " size \(size)" }
        return text
    }

    /// Parses the words after `map`.
    public static func parse(_ syntax: CommandSyntax) throws(Diagnostic) -> MapDecl {
        let args = syntax.arguments
        guard args.count >= 2 else {
            throw .error("map needs a name and a kind", at: syntax.range,
                         hint: "for example: map opens count<comm_t>   (kinds: hash<K,V>, count<K>, hist, hist<K>, lhist(min,max,step), array<V>)")
        }
        let nameToken = args[0]
        guard isIdentifier(nameToken.text) else {
            throw .error("'\(nameToken.text)' is not a valid map name", at: nameToken.range,
                         hint: "names are C identifiers: letters, digits and '_'")
        }
        guard !nameToken.text.hasPrefix("bpfsh_") else {
            throw .error("names starting with 'bpfsh_' are reserved", at: nameToken.range)
        }
        // A map is a C variable in every unit: C's words and the prelude's names are taken.
        if reservedNames.contains(nameToken.text) {
            throw .error("'\(nameToken.text)' is a C keyword or a name bpfsh's generated code uses", at: nameToken.range,
                         hint: "pick another name, e.g. \(nameToken.text.lowercased())s")
        }
        // The kind may have been split at spaces ("hash <u32, u64>"): join the words up to "size".
        var rest = Array(args.dropFirst())
        var size: Int?
        if let sizeIndex = rest.firstIndex(where: { $0.text == "size" }) {
            guard sizeIndex + 1 < rest.count, let value = parseCount(rest[sizeIndex + 1].text), value > 0 else {
                throw .error("size needs a number of entries from 1 to \(maximumSize)", at: rest[sizeIndex].range,
                             hint: "for example: size 65536 (or 64k, 1m)")
            }
            guard sizeIndex + 2 == rest.count else {
                throw .error("unexpected text after the size", at: rest[sizeIndex + 2].range)
            }
            size = value
            rest = Array(rest[..<sizeIndex])
        }
        guard let firstKind = rest.first, let lastKind = rest.last else {
            throw .error("map '\(nameToken.text)' needs a kind", at: nameToken.range)
        }
        let kindRange = SourceRange(start: firstKind.range.start, end: lastKind.range.end)
        let kindText = rest.map(\.text).joined(separator: " ")
        let kind = try parseKind(kindText, range: kindRange)
        if size != nil, case .hist(nil) = kind {
            throw .error("a plain hist always has \(log2Slots) slots; 'size' applies to hist<K>", at: kindRange)
        }
        return MapDecl(name: nameToken.text, kind: kind, size: size, nameRange: nameToken.range)
    }

    static func parseKind(_ text: String, range: SourceRange) throws(Diagnostic) -> MapKind {
        let head = String(text.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        let tail = text.dropFirst(head.count).trimmingCharacters(in: .whitespaces)
        var typeArguments: [String] = []
        var numbers: [Int64] = []
        if tail.hasPrefix("<") {
            guard tail.hasSuffix(">") else {
                throw .error("'<' in the map kind is not closed", at: range, hint: "for example hash<u32, u64>")
            }
            typeArguments = splitTopLevel(String(tail.dropFirst().dropLast()))
            for type in typeArguments where !isCType(type) {
                throw .error("'\(type)' is not a C type", at: range,
                             hint: "write a type such as u32, u64, comm_t, struct key (declare structs in a c { } block)")
            }
        } else if tail.hasPrefix("(") {
            guard tail.hasSuffix(")") else {
                throw .error("'(' in the map kind is not closed", at: range, hint: "for example lhist(0, 4096, 256)")
            }
            for part in splitTopLevel(String(tail.dropFirst().dropLast())) {
                guard let number = Int64(part) else {
                    throw .error("'\(part)' is not a whole number", at: range, hint: "lhist(MIN, MAX, STEP)")
                }
                numbers.append(number)
            }
        } else if !tail.isEmpty {
            throw .error("unexpected '\(tail)' after the map kind", at: range)
        }
        func expect(types: ClosedRange<Int>, _ usage: String) throws(Diagnostic) {
            guard numbers.isEmpty, types.contains(typeArguments.count) else {
                throw .error("\(head) maps are written \(usage)", at: range)
            }
        }
        switch head {
        case "hash":
            try expect(types: 2...2, "hash<KEY, VALUE>")
            return .hash(key: typeArguments[0], value: typeArguments[1])
        case "count":
            try expect(types: 0...1, "count<KEY> (or count for one counter)")
            return .count(key: typeArguments.first)
        case "hist":
            try expect(types: 0...1, "hist (or hist<KEY> for one histogram per key)")
            return .hist(key: typeArguments.first)
        case "array":
            try expect(types: 1...1, "array<VALUE> size N")
            return .array(value: typeArguments[0])
        case "stats", "min", "max":
            try expect(types: 1...1, "\(head)<KEY>")
            return .stats(key: typeArguments[0], shows: MapKind.StatsColumns(rawValue: head) ?? .all)
        case "lhist":
            guard typeArguments.isEmpty, numbers.count == 3 else {
                throw .error("lhist maps are written lhist(MIN, MAX, STEP)", at: range, hint: "for example lhist(0, 4096, 256)")
            }
            let (min, max, step) = (numbers[0], numbers[1], numbers[2])
            guard step > 0, max > min else {
                throw .error("lhist needs MIN < MAX and STEP > 0", at: range)
            }
            // The span can exceed Int64 (MIN negative, MAX positive): compute it without trapping.
            let (span, overflow) = max.subtractingReportingOverflow(min)
            guard !overflow, span / step <= 100_000 else {
                throw .error("lhist(\(min), \(max), \(step)) would need more than 100000 slots", at: range,
                             hint: "raise STEP or use a log2 hist")
            }
            return .lhist(min: min, max: max, step: step)
        default:
            let hint = Suggestions.hint(for: head, in: MapKind.kindNames)
                ?? "map kinds: hash<K,V>, count<K>, count, hist, hist<K>, lhist(min,max,step), array<V>, stats<K>, min<K>, max<K>"
            throw .error("unknown map kind '\(head)'", at: range, hint: hint)
        }
    }

    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var depth = 0
        var current = ""
        for character in text {
            if character == "<" || character == "(" || character == "[" { depth += 1 }
            if character == ">" || character == ")" || character == "]" { depth -= 1 }
            if character == ",", depth == 0 {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts.filter { !$0.isEmpty }
    }

    /// A conservative check that the text is a C type name and nothing more,
    /// so a declaration cannot smuggle code into the generated unit.
    static func isCType(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == " " || $0 == "*" }
            && !(text.first?.isNumber ?? true)
    }

    /// C keywords and the names every unit already defines.
    static let reservedNames: Set<String> = [
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        "_Bool", "_Static_assert", "typeof", "asm", "LICENSE", "args", "ctx",
        "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "comm_t", "str_t", "probe_t", "kstack_t", "ustack_t",
        "ksym_t", "usym_t",
    ]

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" }
    }

    /// The kernel's max_entries is 32 bits.
    static let maximumSize = Int(UInt32.max)

    /// "65536", "64k", "1m", within 1…maximumSize (nil beyond, never an overflow).
    static func parseCount(_ text: String) -> Int? {
        let lower = text.lowercased()
        let multipliers: [Character: Int] = ["k": 1024, "m": 1024 * 1024]
        var value: Int?
        if let plain = Int(lower) {
            value = plain
        } else if let last = lower.last, let multiplier = multipliers[last], let number = Int(lower.dropLast()) {
            let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
            value = overflow ? nil : product
        }
        guard let value, value > 0, value <= maximumSize else { return nil }
        return value
    }
}
