/// clang's "initializing 'typeof (*(opens).key)' (aka 'comm_t') with an expression of
/// incompatible type 'u32'", said the way the user wrote it: "map 'opens' has key
/// comm_t; pid() is u32", under the argument rather than under the macro's name.
struct MapArgumentMismatch {
    var map: String
    var isKey: Bool
    var expected: String
    var actual: String

    init?(_ message: String) {
        let prefix = "initializing 'typeof (*("
        guard message.hasPrefix(prefix), let close = message.range(of: ")."),
              let aka = message.range(of: "(aka '"), let akaEnd = message[aka.upperBound...].firstIndex(of: "'"),
              let actualStart = message.range(of: "incompatible type '", options: .backwards),
              let actualEnd = message[actualStart.upperBound...].firstIndex(of: "'") else { return nil }
        map = String(message[message.index(message.startIndex, offsetBy: prefix.count)..<close.lowerBound])
        isKey = message[close.upperBound...].hasPrefix("key")
        expected = String(message[aka.upperBound..<akaEnd])
        actual = String(message[actualStart.upperBound..<actualEnd])
    }

    /// The key or value type as the map was declared (u32, not clang's "unsigned int").
    mutating func useDeclaredName(_ decl: MapDecl?) {
        guard let decl else { return }
        let declared: String?
        switch decl.kind {
        case let .hash(key, value): declared = isKey ? key : value
        case let .count(key?), let .hist(key?), let .stats(key, _): declared = isKey ? key : nil
        case let .array(value): declared = isKey ? "u32" : value
        default: declared = nil
        }
        if let declared { expected = declared }
    }

    /// The diagnostic at the call clang pointed at (`line`, `column` in `text`), or nil
    /// when no map operation starts there.
    func diagnostic(in text: String, line: Int, column: Int) -> Diagnostic? {
        let bytes = Array(text.utf8)
        var lineStarts = [0]
        for (index, byte) in bytes.enumerated() where byte == 10 { lineStarts.append(index + 1) }
        guard line >= 1, line <= lineStarts.count else { return nil }
        let offset = lineStarts[line - 1] + column - 1
        let calls = Builtin.mapOperationNames.flatMap { CallScanner.calls(named: $0, in: text) }
        // count(m, KEY), set(m, KEY, VALUE): the key is the second argument, the value the third.
        let position = isKey ? 1 : 2
        guard let call = calls.first(where: { $0.nameOffset == offset }), call.arguments.count > position else { return nil }
        let argument = call.arguments[position]
        let argumentLine = lineStarts.lastIndex { $0 <= argument.offset } ?? 0
        let range = SourceRange(line: argumentLine + 1, column: argument.offset - lineStarts[argumentLine] + 1,
                                length: argument.text.count)
        let part = isKey ? "key" : "value"
        if actual == "bpfsh_data_loc_t" {
            return Diagnostic(.error, "map '\(map)' has \(part) \(expected); \(argument.text) is a __data_loc field", at: range,
                              hints: ["a __data_loc field is a string kept in the tracepoint record: read it with str(\(argument.text))"])
        }
        return Diagnostic(.error, "map '\(map)' has \(part) \(expected); \(argument.text) is \(actual)", at: range,
                          hints: ["give a \(expected), or declare another map whose \(part) is \(actual)"])
    }
}
