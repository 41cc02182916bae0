import Foundation

/// `print MAP [top N] [sort key|value] [ns|us|ms|s]`, `print MAP folded`.
struct PrintCommand: ShellCommand {
    static let name = "print"
    static let needsKernel = true
    static let summary = "print a map as a table or histogram; a stack-keyed map 'folded' (one line per stack, for flame graphs)"
    static let usage = "print MAP [top N] [sort key|value] [ns|us|ms|s] | print MAP folded"
    static let example = "print opens top 10"

    let mapToken: Token
    var selection = MapContents.Selection()
    var unit: DisplayUnit?
    var folded: Token?

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(1...6, usage: Self.usage)
        mapToken = syntax.arguments[0]
        var words = syntax.arguments.dropFirst().makeIterator()
        while let word = words.next() {
            switch word.text {
            case "top":
                guard let count = words.next(), let limit = Int(count.text), limit > 0 else {
                    throw Diagnostic.error("top needs a positive number", at: word.range, hint: "for example: print opens top 10")
                }
                selection.limit = limit
            case "folded":
                folded = word
            case "sort":
                guard let order = words.next(), ["key", "value"].contains(order.text) else {
                    throw Diagnostic.error("sort takes 'key' or 'value'", at: word.range)
                }
                selection.order = order.text == "key" ? .keyAscending : .valueDescending
            default:
                guard let parsed = DisplayUnit(rawValue: word.text) else {
                    throw Diagnostic.error("unexpected '\(word.text)'", at: word.range, hint: "usage: \(Self.usage)")
                }
                unit = parsed
            }
        }
    }

    func execute(in session: Session, cell: Int) throws {
        guard let map = session.map(named: mapToken.text) else {
            throw session.unknownMap(mapToken)
        }
        if let folded {
            guard selection == MapContents.Selection(), unit == nil else {
                throw Diagnostic.error("folded prints every stack: it takes no top, sort or unit", at: folded.range)
            }
            let stacks = try session.foldedStacks(of: map, at: mapToken.range)
            session.show(.folded(name: map.decl.name, stacks: stacks.stacks, annotateKernel: stacks.mixesKernelAndUser))
            return
        }
        if let unit, !map.decl.kind.isHistogram {
            throw Diagnostic.error("'\(unit.rawValue)' scales histogram buckets; '\(map.decl.name)' is a \(map.decl.kind.description) map",
                                   at: mapToken.range, hint: "units apply to hist and lhist maps of times: print LAT us")
        }
        if selection.limit != nil, map.decl.kind == .hist(key: nil) || map.decl.kind.family == .lhist || map.decl.kind == .count(key: nil) {
            throw Diagnostic.error("top picks rows, and '\(map.decl.name)' (\(map.decl.kind.description)) has one",
                                   at: mapToken.range, hint: "top applies to maps with keys: count<K>, hash<K,V>, hist<K>, stats<K>")
        }
        session.drainEvents()
        switch try session.printed(map, selection: selection) {
        case let .streamed(table): session.presenter.showLargeTable(table)
        case let .whole(contents): session.show(.map(name: map.decl.name, contents: contents, unit: unit))
        }
    }
}

/// `clear MAP` or `clear all`.
struct ClearCommand: ShellCommand {
    static let name = "clear"
    static let needsKernel = true
    static let summary = "empty a map, or every map with 'clear all'"
    static let usage = "clear MAP | clear all"
    static let example = "clear opens"

    let target: Token

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(1...1, usage: Self.usage)
        target = syntax.arguments[0]
    }

    func execute(in session: Session, cell: Int) throws {
        if target.text == "all", session.map(named: "all") == nil {
            for map in session.maps { try session.withKernelErrors(at: target.range) { try session.backend.clear(map.handle) } }
            if !session.isRepeating { session.say("cleared \(session.maps.count) maps") }
            return
        }
        guard let map = session.map(named: target.text) else { throw session.unknownMap(target) }
        try session.withKernelErrors(at: target.range) { try session.backend.clear(map.handle) }
        if !session.isRepeating { session.say("cleared \(map.decl.name)") }
    }
}

/// `maps`: every session map with its types and size.
struct MapsCommand: ShellCommand {
    static let name = "maps"
    static let needsKernel = true
    static let summary = "list the session's maps: kind, key/value types, entries, memory"
    static let usage = "maps"
    static let example = "maps"
    static let isRecorded = false

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...0, usage: Self.usage)
    }

    func execute(in session: Session, cell: Int) throws {
        guard !session.maps.isEmpty else {
            session.say("no maps yet: declare one with 'map NAME KIND', e.g. \(MapCommand.example)")
            return
        }
        var rows: [[Table.Cell]] = []
        for map in session.maps {
            let statistics = session.backend.statistics(of: map.handle)
            let entries = map.decl.kind.isHistogram
                ? Table.Cell(display: "\(map.maxEntries) slots", value: .object([("capacity", .integer(String(map.maxEntries)))]))
                : Table.Cell(display: "\(statistics.entries)/\(map.maxEntries)",
                             value: .object([("used", .integer(String(statistics.entries))),
                                             ("capacity", .integer(String(map.maxEntries)))]))
            rows.append([.text(map.decl.name), .text(map.decl.kind.description), .text(map.keyType.displayName),
                         .text(map.valueType.displayName), entries, .optional(statistics.memoryBytes, display: formatBytes)])
        }
        session.show(.table(Table(command: Self.name, columns: ["NAME", "KIND", "KEY", "VALUE", "ENTRIES", "MEMORY"],
                                  rows: rows)))
    }
}

func formatBytes(_ bytes: Int) -> String {
    if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
    if bytes >= 1 << 10 { return String(format: "%.1f KiB", Double(bytes) / Double(1 << 10)) }
    return "\(bytes) B"
}

extension Session {
    func unknownMap(_ token: Token) -> Diagnostic {
        var hints: [String] = []
        if let hint = Suggestions.hint(for: token.text, in: mapNames) { hints.append(hint) }
        hints.append(mapNames.isEmpty ? "no maps yet: declare one with 'map NAME KIND'"
                         : "maps: " + mapNames.joined(separator: ", "))
        return Diagnostic(.error, "unknown map '\(token.text)'", at: token.range, hints: hints)
    }

    func unknownProbe(_ token: Token) -> Diagnostic {
        var hints: [String] = []
        if let hint = Suggestions.hint(for: token.text, in: probeNames) { hints.append(hint) }
        hints.append(probeNames.isEmpty ? "no probes yet" : "probes: " + probeNames.joined(separator: ", "))
        return Diagnostic(.error, "unknown probe '\(token.text)'", at: token.range, hints: hints)
    }
}
