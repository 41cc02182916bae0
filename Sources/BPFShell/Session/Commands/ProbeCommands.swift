import Foundation

/// `probes`: every probe with its state and hit count.
struct ProbesCommand: ShellCommand {
    static let name = "probes"
    static let needsKernel = true
    static let summary = "list probes: id, name, spec, state, hits, compile time"
    static let usage = "probes"
    static let example = "probes"
    static let isRecorded = false

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...0, usage: Self.usage)
    }

    func execute(in session: Session, cell: Int) throws {
        guard !session.probes.isEmpty else {
            session.say("no probes yet: attach one with 'probe SPEC { … }', e.g. \(ProbeCommand.example)")
            return
        }
        var rows: [[Table.Cell]] = []
        for probe in session.probes {
            let spec = probe.points.count > 1 ? "\(probe.specText) (\(probe.points.count))" : probe.specText
            rows.append([.integer(probe.number), .text(probe.name), .text(spec), .text(probe.isAttached ? "attached" : "detached"),
                         .integer(session.backend.hits(of: probe.handle)),
                         .milliseconds(probe.compileMilliseconds)])
        }
        session.show(.table(Table(command: Self.name, columns: ["ID", "NAME", "SPEC", "STATE", "HITS", "COMPILE"], rows: rows)))
    }
}

/// Shared parsing for commands that take one probe name.
protocol ProbeNameCommand: ShellCommand {
    var target: Token { get }
    init(target: Token)
}

extension ProbeNameCommand {
    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(1...1, usage: Self.usage)
        self.init(target: syntax.arguments[0])
    }

    func probe(in session: Session) throws -> AttachedProbe {
        guard let probe = session.probe(named: target.text) else { throw session.unknownProbe(target) }
        return probe
    }
}

struct DetachCommand: ProbeNameCommand {
    static let name = "detach"
    static let needsKernel = true
    static let summary = "stop a probe without unloading it (its maps keep their data)"
    static let usage = "detach PROBE"
    static let example = "detach p1"
    let target: Token

    func execute(in session: Session, cell: Int) throws {
        let probe = try probe(in: session)
        guard probe.isAttached else {
            throw Diagnostic.error("probe '\(probe.name)' is already detached", at: target.range, hint: "attach it with 'attach \(probe.name)'")
        }
        try session.detach(probe)
        session.say("detached \(probe.name)")
    }
}

struct AttachCommand: ProbeNameCommand {
    static let name = "attach"
    static let needsKernel = true
    static let summary = "attach a detached probe again"
    static let usage = "attach PROBE"
    static let example = "attach p1"
    let target: Token

    func execute(in session: Session, cell: Int) throws {
        let probe = try probe(in: session)
        guard !probe.isAttached else {
            throw Diagnostic.error("probe '\(probe.name)' is already attached", at: target.range)
        }
        try session.reattach(probe)
        session.say("attached \(probe.name)")
    }
}

/// `drop PROBE` unloads a probe; `drop MAP` deletes a map no probe uses.
struct DropCommand: ShellCommand {
    static let name = "drop"
    static let needsKernel = true
    static let summary = "detach and unload a probe (its maps stay), or delete a map no probe uses"
    static let usage = "drop PROBE | drop MAP"
    static let example = "drop p1"
    let target: Token

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(1...1, usage: Self.usage)
        target = syntax.arguments[0]
    }

    func execute(in session: Session, cell: Int) throws {
        if let probe = session.probe(named: target.text) {
            session.drop(probe)
            session.say("dropped \(probe.name)")
            return
        }
        guard let map = session.map(named: target.text) else {
            var diagnostic = session.unknownProbe(target)
            diagnostic.message = "no probe or map named '\(target.text)'"
            throw diagnostic
        }
        let users = session.probes.filter { $0.mapNames.contains(map.decl.name) }.map(\.name)
        guard users.isEmpty else {
            throw Diagnostic.error("map '\(map.decl.name)' is used by \(users.joined(separator: ", "))", at: target.range,
                                   hint: "drop " + users.joined(separator: ", ") + " first; 'clear \(map.decl.name)' empties it instead")
        }
        session.dropMap(map)
        session.say("dropped map \(map.decl.name) and what it held")
    }
}

/// `show NAME [c|log]`, `show MAP`, `show log`.
struct ShowCommand: ShellCommand {
    static let name = "show"
    static let summary = "show a probe's source, its generated C ('c') or verifier log ('log'); a map's declaration"
    static let usage = "show PROBE [c|log] | show MAP | show log"
    static let example = "show p1 c"
    static let isRecorded = false

    let target: Token
    let aspect: Token?

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(1...2, usage: Self.usage)
        target = syntax.arguments[0]
        aspect = syntax.arguments.count > 1 ? syntax.arguments[1] : nil
        if let aspect, !["c", "log", "source"].contains(aspect.text) {
            throw Diagnostic.error("show can print 'c' or 'log', not '\(aspect.text)'", at: aspect.range, hint: "usage: \(Self.usage)")
        }
    }

    func execute(in session: Session, cell: Int) throws {
        if target.text == "log", session.probe(named: "log") == nil {
            guard let log = session.lastVerifierLog else {
                throw Diagnostic.error("no verifier rejection in this session yet", at: target.range,
                                       hint: "'show PROBE log' prints the verifier log of a loaded probe")
            }
            session.showText(log)
            return
        }
        if let probe = session.probe(named: target.text) {
            switch aspect?.text {
            case "c": session.showText(probe.unit.text)
            case "log": session.showText(try session.verifierLog(for: probe))
            default: session.showText(probe.source)
            }
            return
        }
        if let map = session.map(named: target.text), aspect == nil {
            session.showText(map.decl.declaration)
            return
        }
        var diagnostic = session.unknownProbe(target)
        diagnostic.message = "no probe or map named '\(target.text)'"
        throw diagnostic
    }
}
