import Foundation

/// `c { … }`: C shared by every later probe.
struct CCommand: ShellCommand {
    static let name = "c"
    static let summary = "add shared C (types, constants, static helpers) to every later probe"
    static let usage = "c { C declarations }"
    static let example = "c { struct key { u32 pid; char comm[16]; }; }"

    let block: CodeBlock
    let range: SourceRange

    init(_ syntax: CommandSyntax) throws {
        guard let block = syntax.block, syntax.arguments.isEmpty else {
            throw Diagnostic.error("c needs a { } block of C declarations", at: syntax.range, hint: "usage: \(Self.usage)")
        }
        self.block = block
        range = syntax.name.range
    }

    func execute(in session: Session, cell: Int) throws {
        try session.addCBlock(block, cell: cell, range: range)
        session.say("c block added (\(session.cBlocks.count) in this session)")
    }
}

/// `map NAME KIND [size N]`: a session map that outlives every probe.
struct MapCommand: ShellCommand {
    static let name = "map"
    static let summary = "declare a session map: hash<K,V>, count<K>, hist, hist<K>, lhist(min,max,step), array<V>"
    static let usage = "map NAME KIND [size N]"
    static let example = "map opens count<comm_t>"

    let decl: MapDecl
    let range: SourceRange

    init(_ syntax: CommandSyntax) throws {
        if let block = syntax.block {
            throw Diagnostic.error("map takes no { } block", at: block.range, hint: "usage: \(Self.usage)")
        }
        decl = try MapDecl.parse(syntax)
        range = syntax.argumentsRange
    }

    func execute(in session: Session, cell: Int) throws {
        let map = try session.declareMap(decl, range: range)
        let kernelType = MapLayout(decl).mapType.replacingOccurrences(of: "BPF_MAP_TYPE_", with: "").lowercased()
        let facts: [(String, JSONValue)] = [("map", .string(decl.name)), ("kind", .string(decl.kind.description)),
                                            ("map_type", .string(kernelType)), ("entries", .integer(String(map.maxEntries))),
                                            ("planned", .bool(session.isDryRun))]
        if session.isDryRun {
            session.say("map \(decl.name): \(decl.kind.description) compiles (dry run: not created)", facts: facts)
            return
        }
        session.say("map \(decl.name): \(decl.kind.description) (\(kernelType), \(map.maxEntries) entries)", facts: facts)
    }
}

/// `probe [NAME] SPEC[, SPEC…] { body }`: compile, load and attach.
struct ProbeCommand: ShellCommand {
    static let name = "probe"
    static let summary = "compile a BPF C body and attach it to one or more probe points"
    static let usage = "probe [NAME] KIND:TARGET[, KIND:TARGET…] { BPF C }"
    static let example = "probe tracepoint:syscalls:sys_enter_openat { count(opens, comm()); }"

    let name: String?
    let nameRange: SourceRange?
    let specs: [ProbeSpec]
    let body: CodeBlock
    let text: String

    init(_ syntax: CommandSyntax) throws {
        var words = syntax.arguments
        guard let first = words.first else {
            throw Diagnostic.error("probe needs a probe point and a body", at: syntax.range, hint: "usage: \(Self.usage)")
        }
        // A first word without ':' names the probe (unless it is the start of a list: "a,").
        if !first.text.contains(":"), !first.text.hasSuffix(",") {
            guard words.count >= 2 else {
                throw Diagnostic.error("'\(first.text)' is not a probe point", at: first.range,
                                       hint: "usage: \(Self.usage), e.g. \(Self.example)")
            }
            name = first.text
            nameRange = first.range
            words.removeFirst()
        } else {
            name = nil
            nameRange = nil
        }
        // Words after the first spec must continue a list: "a, b" or "a ,b".
        for (previous, word) in zip(words, words.dropFirst())
        where !previous.text.hasSuffix(",") && !word.text.hasPrefix(",") {
            throw Diagnostic.error("unexpected '\(word.text)' after the probe point", at: word.range,
                                   hint: "several points are separated by commas; usage: \(Self.usage)")
        }
        specs = try ProbeSpec.parseList(words)
        guard let firstSpec = specs.first else {
            throw Diagnostic.error("probe needs a probe point", at: syntax.range, hint: "usage: \(Self.usage)")
        }
        guard let block = syntax.block else {
            throw Diagnostic.error("probe needs a { } body", at: firstSpec.range,
                                   hint: "for example: probe \(words.map(\.text).joined(separator: " ")) { count(opens, comm()); }")
        }
        body = block
        text = syntax.text
    }

    /// How the points read in status lines: "tracepoint:a:b, tracepoint:c:d".
    var specText: String { specs.map(\.description).joined(separator: ", ") }

    func execute(in session: Session, cell: Int) throws {
        let started = DispatchTime.now()
        let (probe, timing) = try session.addProbe(name: name, nameRange: nameRange, specs: specs, body: body,
                                                   source: text, started: started)
        let facts: [(String, JSONValue)] = [
            ("probe", .string(probe.name)), ("spec", .string(specText)),
            ("programs", .integer(String(probe.points.count))), ("planned", .bool(session.isDryRun)),
            ("timing", .object([("total_ms", .milliseconds(timing.total)), ("compile_ms", .milliseconds(timing.compile)),
                                ("load_ms", .milliseconds(timing.load)), ("attach_ms", .milliseconds(timing.attach)),
                                ("cached", .bool(timing.isCached))])),
        ]
        if session.isDryRun {
            session.say(String(format: "%@ compiles: %@ (%d program%@) in %.1f ms (dry run: not loaded)", probe.name,
                               specText, probe.points.count, probe.points.count == 1 ? "" : "s", timing.total),
                        facts: facts)
            return
        }
        let programs = probe.points.count == 1 ? "1 program" : "\(probe.points.count) programs"
        let compile = timing.isCached ? String(format: "compile %.1f ms, cached", timing.compile)
            : String(format: "compile %.1f ms", timing.compile)
        session.say(String(format: "%@ attached: %@ (%@) in %.1f ms (%@, load %.1f ms, attach %.1f ms)",
                           probe.name, specText, programs, timing.total, compile, timing.load, timing.attach),
                    facts: facts)
    }
}
