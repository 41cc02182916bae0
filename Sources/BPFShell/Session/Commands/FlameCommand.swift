import Foundation

/// `flame MAP FILE.svg [options]`: an interactive flame graph of a stack-keyed map (or
/// of a folded file), rendered by bpfsh itself.
struct FlameCommand: ShellCommand {
    static let name = "flame"
    static let needsKernel = true
    static let summary = "write a stack-keyed map (or a .folded file) as an interactive flame graph SVG; --diff MAP2 colours growth"
    static let usage = "flame MAP|FILE.folded FILE.svg [-f] [--title T] [--colors kernel|user|java|io] [--width PX] [--min-width PX] [--inverted] [--countname NAME] [--diff MAP2|FILE.folded]"
    static let example = "flame stacks /tmp/cpu.svg --title \"on-CPU, 99 Hz\""

    let source: Token
    let output: Token
    var force = false
    var baseline: Token?
    var options = FlameGraphOptions()

    init(_ syntax: CommandSyntax) throws {
        if let block = syntax.block {
            throw Diagnostic.error("flame takes no { } block", at: block.range, hint: "usage: \(Self.usage)")
        }
        var positional: [Token] = []
        var words = syntax.arguments.makeIterator()
        func value(after option: Token) throws -> Token {
            guard let next = words.next() else {
                throw Diagnostic.error("\(option.text) needs a value", at: option.range, hint: "usage: \(Self.usage)")
            }
            return next
        }
        func pixels(after option: Token, in range: ClosedRange<Double>) throws -> Double {
            let word = try value(after: option)
            guard let number = Double(word.text), number.isFinite, range.contains(number) else {
                throw Diagnostic.error("\(option.text) takes a number of pixels from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))",
                                       at: word.range)
            }
            return number
        }
        while let word = words.next() {
            switch word.text {
            case "-f": force = true
            case "--title": options.title = Self.unquoted(try value(after: word).text)
            case "--subtitle": options.subtitle = Self.unquoted(try value(after: word).text)
            case "--countname": options.countName = Self.unquoted(try value(after: word).text)
            case "--inverted": options.inverted = true
            case "--width": options.width = Int(try pixels(after: word, in: 200...20000))
            case "--min-width": options.minWidth = try pixels(after: word, in: 0...100)
            case "--diff": baseline = try value(after: word)
            case "--colors":
                let name = try value(after: word)
                guard let palette = FlameGraphOptions.Palette(rawValue: name.text) else {
                    throw Diagnostic.error("--colors takes " + FlameGraphOptions.Palette.allCases.map(\.rawValue).joined(separator: ", "),
                                           at: name.range)
                }
                options.palette = palette
            default:
                guard !word.text.hasPrefix("-") else {
                    throw Diagnostic(.error, "unknown option '\(word.text)'", at: word.range,
                                     hints: [Suggestions.hint(for: word.text, in: Self.optionNames) ?? "usage: \(Self.usage)"])
                }
                positional.append(word)
            }
        }
        guard positional.count == 2 else {
            throw Diagnostic.error("flame needs a map and an output file", at: positional.last?.range ?? syntax.name.range,
                                   hint: "usage: \(Self.usage)")
        }
        source = positional[0]
        output = positional[1]
        if options.title == FlameGraphOptions().title { options.title = "Flame Graph: \(source.text)" }
    }

    static let optionNames = ["-f", "--title", "--subtitle", "--colors", "--width", "--min-width", "--inverted", "--countname", "--diff"]

    func execute(in session: Session, cell: Int) throws {
        let stacks = try session.stacksForGraph(source)
        let svg: String
        var facts: [(String, JSONValue)] = [("file", .string(output.text)), ("stacks", .integer(String(stacks.count))),
                                            ("samples", .integer(String(stacks.reduce(0) { $0 + $1.count })))]
        if let baseline {
            let before = try session.stacksForGraph(baseline)
            svg = FlameGraph.differentialSVG(after: stacks, before: before, options: options)
            facts.append(("baseline", .string(baseline.text)))
        } else {
            svg = FlameGraph.svg(stacks, options: options)
        }
        try SessionFile.write(svg, to: output, force: force)
        facts.append(("bytes", .integer(String(svg.utf8.count))))
        let total = stacks.reduce(UInt64(0)) { $0 + $1.count }
        session.show(.status(Status(command: Self.name,
                                    message: "flame graph of \(stacks.count) stacks (\(total) \(options.countName)) written to \(output.text) (\(formatBytes(svg.utf8.count)))",
                                    facts: facts)))
        session.attach(file: output.text, kind: .svg)
    }

    private static func unquoted(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
        return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() ? String(Int(number)) : String(number)
    }
}

extension Session {
    /// Folded stacks from a session map, or from a folded file when no map has that name.
    func stacksForGraph(_ token: Token) throws -> [FoldedStack] {
        if let map = map(named: token.text) { return try foldedStacks(of: map, at: token.range).stacks }
        let path = (token.text as NSString).expandingTildeInPath
        guard token.text.contains("/") || token.text.contains(".") else { throw unknownMap(token) }
        switch FileKind(path: FileKind.finalTarget(of: path)) {
        case .regular: break
        case .missing: throw Diagnostic(.error, "no map or file named '\(token.text)'", at: token.range,
                                        hints: [mapNames.isEmpty ? "no maps yet" : "maps: " + mapNames.joined(separator: ", ")])
        case let kind: throw Diagnostic.error("'\(token.text)' is \(kind.description), not a folded stacks file", at: token.range)
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Diagnostic.error("cannot read '\(token.text)' as text", at: token.range)
        }
        do {
            return try FoldedText.parse(text)
        } catch {
            throw Diagnostic.error("'\(token.text)' is not folded stacks: \(error)", at: token.range,
                                   hint: "one stack per line, root first: comm;main;work;leaf 42")
        }
    }

    /// A stack-keyed map's stacks, root first, equal stacks merged.
    func foldedStacks(of map: SessionMap, at range: SourceRange) throws -> StackFolding.Folded {
        drainEvents()
        let contents = try self.contents(of: map, selection: MapContents.Selection())
        guard case let .table(table) = contents else {
            throw Diagnostic.error("'\(map.decl.name)' is a \(map.decl.kind.description) map: folded stacks come from a map keyed by stacks",
                                   at: range, hint: "for example: map stacks count<kstack_t>, then count(stacks, kstack()) in a probe")
        }
        if let refusal = StackFolding.refusal(of: table) {
            throw Diagnostic.error("'\(map.decl.name)' cannot be folded: \(refusal)", at: range,
                                   hint: "fold maps such as count<kstack_t>, count<ustack_t>, or a struct key holding comm_t and stacks")
        }
        return StackFolding.fold(table)
    }
}
