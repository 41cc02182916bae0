import Foundation

/// Renders values as JSON lines: one object per map print, histogram or event, each
/// with a `type` field. The shapes are documented in the README and kept stable.
public struct JSONRenderer {
    public init() {}

    /// One item as JSON lines (one object per line; a keyed histogram gives several).
    public func render(_ item: OutputItem) -> String {
        switch item {
        case let .status(status):
            return line(.object([("type", .string("status")), ("command", .string(status.command)),
                                 ("text", .string(status.message))] + status.facts))
        case let .table(table):
            let keys = table.columns.map { $0.lowercased() }
            let rows = table.rows.map { row in JSONValue.object(zip(keys, row.map(\.value)).map { ($0, $1) }) }
            return line(.object([("type", .string("table")), ("command", .string(table.command)),
                                 ("columns", .array(keys.map(JSONValue.string))), ("rows", .array(rows))]))
        case let .map(name, contents, unit):
            return render(contents, name: name, unit: unit)
        case let .folded(name, stacks, _):
            let objects = stacks.map { stack -> JSONValue in
                .object([("frames", .array(stack.frames.map { JSONValue.string($0.name) })),
                         ("kinds", .array(stack.frames.map { JSONValue.string("\($0.kind)") })),
                         ("count", .integer(String(stack.count)))])
            }
            return line(.object([("type", .string("folded")), ("name", .string(name)), ("stacks", .array(objects))]))
        case let .text(command, lines):
            return line(.object([("type", .string("text")), ("command", .string(command)),
                                 ("lines", .array(lines.map(JSONValue.string)))]))
        case let .interval(time):
            return interval(time: time)
        case let .lost(count):
            return lost(count: count)
        case let .warning(message):
            return line(.object([("type", .string("warning")), ("message", .string(message))]))
        case let .diagnostic(diagnostic, source):
            return line(diagnosticObject(diagnostic, source: source))
        }
    }

    /// `{"type":"error",…}` (or "warning"): where in which file, what, and what to do.
    func diagnosticObject(_ diagnostic: Diagnostic, source: SourceContext) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string(diagnostic.severity == .error ? "error" : diagnostic.severity.rawValue)),
                                              ("message", .string(diagnostic.message)), ("file", .string(source.sourceName))]
        if let cell = source.cell { members.append(("cell", .integer(String(cell)))) }
        if let range = diagnostic.range {
            members.append(("line", .integer(String(range.start.line + source.lineOffset))))
            members.append(("column", .integer(String(range.start.column))))
            if range.end.line == range.start.line {
                members.append(("end_column", .integer(String(max(range.end.column - 1, range.start.column)))))
            }
        }
        members.append(("hints", .array(diagnostic.hints.map(JSONValue.string))))
        if !diagnostic.details.isEmpty { members.append(("details", .array(diagnostic.details.map(JSONValue.string)))) }
        return .object(members)
    }

    /// `{"type":"map",…}` for tables, `{"type":"hist",…}` per histogram (one per key).
    public func render(_ contents: MapContents, name: String, unit: DisplayUnit? = nil) -> String {
        objects(contents, name: name, unit: unit).map(line).joined()
    }

    /// A streamed table as one `{"type":"map",…}` line written in pieces: what comes
    /// before its rows, the rows `range` (each after a comma but the first), what ends it.
    func largeTableStart(_ table: LargeTable) -> String {
        "{\"type\":\"map\",\"name\":" + JSONValue.quote(table.name) + ",\"rows\":["
    }

    func largeTableRows(_ table: LargeTable, _ range: Range<Int>) -> String {
        var out = ""
        for position in range {
            let index = table.order[position]
            if position > 0 { out += "," }
            let key = table.isNumericKey ? table.keyText(index) : JSONValue.quote(table.keyText(index))
            out += "{\"key\":" + key + ",\"value\":" + String(table.values[index]) + "}"
        }
        return out
    }

    let largeTableEnd = "]}\n"

    /// The JSON objects of a map's contents (one per histogram of a hist<K>).
    func objects(_ contents: MapContents, name: String, unit: DisplayUnit? = nil) -> [JSONValue] {
        switch contents {
        case let .table(table):
            let rows = table.rows.map { row -> JSONValue in
                .object([("key", json(row.key)), ("value", json(row.value))])
            }
            return [.object([("type", .string("map")), ("name", .string(name)), ("rows", .array(rows))])]
        case let .scalar(value):
            return [.object([("type", .string("scalar")), ("name", .string(name)), ("value", json(value))])]
        case let .histogram(histogram):
            return [histogramObject(histogram, name: name, key: nil, unit: unit)]
        case let .keyedHistograms(histograms):
            return histograms.map { histogramObject($0.histogram, name: name, key: $0.key, unit: unit) }
        }
    }

    public func event(probe: String, time: EventTime? = nil, text: String, frames: [String: [String]] = [:]) -> String {
        var members: [(String, JSONValue)] = [("type", .string("event")), ("probe", .string(probe))]
        if let time { members.append((time.key, time.value)) }
        members.append(("text", .string(text)))
        for key in ["kstack", "ustack"] {
            if let stack = frames[key] { members.append((key, .array(stack.map(JSONValue.string)))) }
        }
        return line(.object(members))
    }

    /// The header `every` prints before each repetition.
    public func interval(time: String) -> String {
        line(.object([("type", .string("interval")), ("time", .string(time))]))
    }

    public func lost(count: UInt64) -> String {
        line(.object([("type", .string("lost")), ("count", .number(Double(count)))]))
    }

    func histogramObject(_ histogram: Histogram, name: String, key: Value?, unit: DisplayUnit?) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("hist")), ("name", .string(name))]
        if let key { members.append(("key", json(key))) }
        switch histogram.scale {
        case .log2: members.append(("scale", .string("log2")))
        case .linear: members.append(("scale", .string("linear")))
        }
        if let unit { members.append(("unit", .string(unit.rawValue))) }
        let buckets = histogram.buckets.map { bucket -> JSONValue in
            .object([("low", bucket.low.map { .number(Double($0)) } ?? .null),
                     ("high", bucket.high.map { .number(Double($0)) } ?? .null),
                     ("count", .number(Double(bucket.count)))])
        }
        members.append(("buckets", .array(buckets)))
        return .object(members)
    }

    func json(_ value: Value) -> JSONValue {
        switch value {
        case let .signed(number): return .integer(String(number))
        case let .unsigned(number): return .integer(String(number))
        case let .bool(flag): return .bool(flag)
        case let .float(number): return .number(number)
        case let .string(text): return .string(text)
        case let .pointer(address): return .string("0x" + String(address, radix: 16))
        case let .enumCase(name, number): return name.isEmpty ? .integer(String(number)) : .string(name)
        case let .record(members): return .object(members.map { ($0.name, json($0.value)) })
        case let .array(values): return .array(values.map(json))
        case let .stack(stack): return .array(stack.frames.map { .string($0) })
        case .symbol: return .string(value.description)
        }
    }

    private func line(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        value.write(to: &out)
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// A minimal JSON value with ordered keys (so output is stable and diffable).
public indirect enum JSONValue: Sendable {
    case null, bool(Bool), number(Double), integer(String), string(String)
    case array([JSONValue]), object([(String, JSONValue)])

    public var encoded: String {
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the UTF-8 encoding to `out`: one growing byte array, not a string per value
    /// joined level by level (a map of 10,000 stacks holds 150,000 frames), and bytes, not
    /// a String, which would re-check each appended piece for ASCII.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case let .bool(flag): out += (flag ? "true" : "false").utf8
        case let .number(number):
            out += (number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)).utf8
        case let .integer(digits): out += digits.utf8
        case let .string(text): Self.quote(text, into: &out)
        case let .array(values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.quote(member.0, into: &out)
                out.append(UInt8(ascii: ":"))
                member.1.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A duration rounded to microseconds (more digits would only be noise).
    public static func milliseconds(_ value: Double) -> JSONValue {
        .number((value * 1000).rounded() / 1000)
    }

    static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        quote(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func quote(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most text (frames, names, comms) needs no escape: one pass over the bytes, then one copy.
        let needsEscape: (UInt8) -> Bool = { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        let isPlain = text.utf8.withContiguousStorageIfAvailable { !$0.contains(where: needsEscape) }
            ?? !text.utf8.contains(where: needsEscape)
        if isPlain {
            out += text.utf8
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case UInt8(ascii: "\n"): out += #"\n"#.utf8
            case UInt8(ascii: "\r"): out += #"\r"#.utf8
            case UInt8(ascii: "\t"): out += #"\t"#.utf8
            case ..<0x20:
                let hex = String(byte, radix: 16)
                out += ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8
            default: out.append(byte) // bytes of multi-byte characters pass through whole
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
