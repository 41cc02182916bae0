import Foundation

/// `list PATTERN`: probe points that match, of the kinds the kernel can tell about.
struct ListCommand: ShellCommand {
    static let name = "list"
    static let summary = "list probe points matching a pattern (tracepoint:sched:*, rawtracepoint:sched_*)"
    static let usage = "list [KIND:]PATTERN"
    static let example = "list tracepoint:sched:*"
    static let isRecorded = false

    let pattern: Token?

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...1, usage: Self.usage)
        pattern = syntax.arguments.first
    }

    func execute(in session: Session, cell: Int) throws {
        _ = try session.runtime() // BTF is read by the start-up thread: wait for it
        let text = pattern?.text ?? "tracepoint:*"
        var kind = ProbeKind.tracepoint
        var rest = text
        if let colon = text.firstIndex(of: ":"), let named = ProbeKind.named(String(text[..<colon])) {
            kind = named
            rest = String(text[text.index(after: colon)...])
        }
        var lines: [String] = []
        switch kind {
        case .tracepoint:
            let tracefs = try session.withKernelErrors(at: pattern?.range) { try session.backend.tracepoints() }
            let parts = rest.split(separator: ":", maxSplits: 1).map(String.init)
            let categoryPattern = parts.first ?? "*"
            let eventPattern = parts.count > 1 ? parts[1] : "*"
            for category in tracefs.categories() where Wildcard.matches(categoryPattern, category) {
                for event in tracefs.events(in: category) where Wildcard.matches(eventPattern, event) {
                    lines.append("tracepoint:\(category):\(event)")
                }
            }
        case .rawTracepoint, .tpBTF:
            for name in try session.withKernelErrors(at: pattern?.range, { try session.backend.btf.tracepointNames() }).sorted() where Wildcard.matches(rest, name) {
                lines.append("\(kind.rawValue):\(name)")
            }
        case .kprobe, .kretprobe, .fentry, .fexit:
            let functions = Set((try? session.backend.btf.functionNames()) ?? []).union(KernelSymbols.functionNames())
            for name in functions.sorted() where Wildcard.matches(rest, name) { lines.append("\(kind.rawValue):\(name)") }
        case .uprobe, .uretprobe, .usdt:
            let parts = rest.split(separator: ":", maxSplits: 1).map(String.init)
            guard let binaryName = parts.first, let path = BinaryLocator.resolve(binaryName), let file = ELFFile(path: path) else {
                throw Diagnostic.error("list \(kind.rawValue): needs a binary: list \(kind.rawValue):BINARY[:PATTERN]",
                                       at: pattern?.range, hint: "for example: list uprobe:libc:mall*")
            }
            let symbolPattern = parts.count > 1 ? parts[1] : "*"
            let names = kind == .usdt ? file.usdtProbes().map { "\($0.provider):\($0.name)" } : file.functionNames()
            for name in names where Wildcard.matches(symbolPattern, name) { lines.append("\(kind.rawValue):\(binaryName):\(name)") }
        case .software, .hardware:
            let catalog = kind == .software ? PerfEvents.software : PerfEvents.hardware
            for name in catalog.keys.sorted() where Wildcard.matches(rest, name) { lines.append("\(kind.rawValue):\(name)") }
        case .profile, .interval:
            lines.append(kind == .profile ? "profile:hz:RATE (samples per second on every CPU)" : "interval:DURATION (on one CPU)")
        }
        if lines.isEmpty {
            throw Diagnostic.error("nothing matches '\(text)'", at: pattern?.range)
        }
        session.showText(lines.joined(separator: "\n"))
    }
}

/// `info SPEC`: what a probe body can use at that point.
struct InfoCommand: ShellCommand {
    static let name = "info"
    static let summary = "show what a probe body can use at a probe point (args fields, typed parameters)"
    static let usage = "info KIND:TARGET"
    static let example = "info tracepoint:syscalls:sys_enter_openat"
    static let isRecorded = false

    let spec: ProbeSpec

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(1...1, usage: Self.usage)
        spec = try ProbeSpec.parse(syntax.arguments[0])
    }

    func execute(in session: Session, cell: Int) throws {
        _ = try session.runtime()
        var lines: [String] = []
        for point in try session.withKernelErrors(at: spec.range, { try session.specResolver().resolve(spec) }) {
            lines.append(point.description)
            switch point.context {
            case let .tracepoint(format):
                lines.append("  args (struct \(format.structName) *):")
                for field in format.fieldSummary { lines.append("    \(field)") }
            case .rawTracepoint:
                lines.append("  ctx (struct bpf_raw_tracepoint_args *): arg0 … arg11 (u64)")
            case let .typed(parameters, result):
                lines.append("  parameters:")
                for parameter in parameters { lines.append("    \(parameter.declaration);") }
                if let result { lines.append("    \(result.declaration);   (the return value)") }
            case let .registers(isReturn, parameters):
                lines.append("  ctx (struct pt_regs *): arg0 … arg5 (u64)" + (isReturn ? ", retval (long)" : ""))
                if !parameters.isEmpty {
                    lines.append("  named parameters (from BTF):")
                    for parameter in parameters { lines.append("    \(parameter.declaration);") }
                }
            case .perfEvent:
                lines.append("  ctx (struct bpf_perf_event_data *): the sampled registers in ctx->regs; kstack via bpf_get_stackid")
            case .usdt:
                lines.append("  arg0 … arg11 (long), as the USDT note describes them")
            }
        }
        session.showText(lines.joined(separator: "\n"))
    }
}

/// `help [COMMAND]`.
struct HelpCommand: ShellCommand {
    static let name = "help"
    static let summary = "list commands, or show one command's (or built-in's) syntax and an example"
    static let usage = "help [COMMAND | BUILTIN | builtins]"
    static let example = "help probe"
    static let isRecorded = false

    let topic: Token?

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...1, usage: Self.usage)
        topic = syntax.arguments.first
    }

    func execute(in session: Session, cell: Int) throws {
        if let topic {
            if topic.text == "builtins" {
                session.showText(Builtin.all.map(Self.describe).joined(separator: "\n"))
                return
            }
            if let command = CommandRegistry.command(named: topic.text) {
                session.showText("\(command.usage)\n  \(command.summary)\n  example: \(command.example)")
                return
            }
            if let builtin = Builtin.named(topic.text.replacingOccurrences(of: "()", with: "")) {
                session.showText(Self.describe(builtin))
                return
            }
            throw Diagnostic(.error, "no command or built-in '\(topic.text)'", at: topic.range,
                             hints: [Suggestions.hint(for: topic.text, in: CommandRegistry.names + Builtin.names)].compactMap { $0 }
                                 + ["'help' lists the commands, 'help builtins' the built-ins"])
        }
        let width = CommandRegistry.all.map { $0.name.count }.max() ?? 8
        var text = CommandRegistry.all.map { command in
            command.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.summary
        }.joined(separator: "\n")
        text += "\n\nbuilt-ins in probe bodies ('help builtins' describes each):\n  " + Builtin.synopsis
        session.showText(text)
    }

    /// `count(map, key)  add 1 to the counter under key` and an example.
    static func describe(_ builtin: Builtin) -> String {
        let returns = builtin.returns.isEmpty ? "" : " -> \(builtin.returns)"
        return "\(builtin.signature)\(returns)\n  \(builtin.summary)\n  example: \(builtin.example)"
    }
}

/// `quit` / `exit`: release everything and leave.
struct QuitCommand: ShellCommand {
    static let name = "quit"
    static let aliases = ["exit"]
    static let summary = "detach every probe, free every map and leave"
    static let usage = "quit"
    static let example = "quit"
    static let isRecorded = false

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...0, usage: Self.usage)
    }

    func execute(in session: Session, cell: Int) throws {
        session.finish()
    }
}

/// `features`: what this kernel supports, found by trying each thing.
struct FeaturesCommand: ShellCommand {
    static let name = "features"
    static let summary = "show what this kernel supports (probe kinds, perf events, maps), detected by trying"
    static let usage = "features"
    static let example = "features"
    static let isRecorded = false

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...0, usage: Self.usage)
    }

    func execute(in session: Session, cell: Int) throws {
        let findings = session.backend.features(trials: session.featureTrials())
        let rows = findings.map { finding -> [Table.Cell] in
            [.text(finding.name), Table.Cell(display: finding.isAvailable ? "yes" : "no", value: .bool(finding.isAvailable)),
             .text(finding.detail)]
        }
        session.show(.table(Table(command: Self.name, columns: ["FEATURE", "AVAILABLE", "DETAIL"], rows: rows)))
    }
}
