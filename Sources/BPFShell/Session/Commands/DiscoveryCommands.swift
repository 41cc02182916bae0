import Foundation

/// `list [KIND:]PATTERN`: probe points that match. Without a kind, every kind the kernel
/// can enumerate is searched, as `bpftrace -l` does (`list *open*` finds
/// tracepoint:syscalls:sys_enter_openat); a tracepoint pattern with one part matches
/// CATEGORY:EVENT whole.
struct ListCommand: ShellCommand {
    static let name = "list"
    static let summary = "list probe points matching a pattern, of every kind or one (list *open*, list tracepoint:sched:*, list uprobe:libc:mall*)"
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
        let catalog = ProbePointCatalog(session: session, range: pattern?.range)
        var kinds: [ProbeKind] = ProbePointCatalog.searchedWithoutKind
        var rest = text
        if let colon = text.firstIndex(of: ":"), let named = ProbeKind.named(String(text[..<colon])) {
            kinds = [named]
            rest = String(text[text.index(after: colon)...])
        }
        var lines: [String] = []
        for kind in kinds {
            lines += try catalog.points(of: kind, matching: rest, explicit: kinds.count == 1)
        }
        if lines.isEmpty {
            var hints: [String] = []
            // The last part is the name a typo is in (sched:sched_swich → sched_swich).
            let bare = String(rest.split(separator: ":").last ?? Substring(rest))
                .replacingOccurrences(of: "*", with: "").replacingOccurrences(of: "?", with: "")
            if !bare.isEmpty, let hint = Suggestions.hint(for: bare, in: catalog.names(of: kinds)) { hints.append(hint) }
            if !text.contains("*"), !text.contains(":") { hints.append("patterns take * and ?: list *\(bare)*") }
            throw Diagnostic(.error, "nothing matches '\(text)'", at: pattern?.range, hints: hints)
        }
        session.showText(lines.joined(separator: "\n"))
    }
}

/// The probe points of each kind, as `list` shows them.
struct ProbePointCatalog {
    let session: Session
    let range: SourceRange?

    /// Kinds searched by a pattern without a kind (uprobes need a binary; the rest are fixed).
    static let searchedWithoutKind: [ProbeKind] = [.tracepoint, .rawTracepoint, .kprobe, .software, .hardware]

    func points(of kind: ProbeKind, matching rest: String, explicit: Bool) throws -> [String] {
        switch kind {
        case .tracepoint:
            let tracefs: TracepointCatalog
            do {
                tracefs = try session.withKernelErrors(at: range) { try session.backend.tracepoints() }
            } catch where !explicit {
                return [] // without root or tracefs, a search of every kind skips tracepoints
            }
            let parts = rest.split(separator: ":", maxSplits: 1).map(String.init)
            var lines: [String] = []
            for category in tracefs.categories() {
                for event in tracefs.events(in: category) {
                    // One part: it matches CATEGORY:EVENT whole (as bpftrace -l does).
                    let matched = parts.count > 1 ? Wildcard.matches(parts[0], category) && Wildcard.matches(parts[1], event)
                        : Wildcard.matches(rest, "\(category):\(event)")
                    if matched { lines.append("tracepoint:\(category):\(event)") }
                }
            }
            return lines
        case .rawTracepoint, .tpBTF:
            let names = (try? session.backend.btf.tracepointNames()) ?? []
            return names.sorted().filter { Wildcard.matches(rest, $0) }.map { "\(kind.rawValue):\($0)" }
        case .kprobe, .kretprobe, .fentry, .fexit:
            let functions = Set((try? session.backend.btf.functionNames()) ?? []).union(KernelSymbols.functionNames())
            return functions.sorted().filter { Wildcard.matches(rest, $0) }.map { "\(kind.rawValue):\($0)" }
        case .uprobe, .uretprobe, .usdt:
            let parts = rest.split(separator: ":", maxSplits: 1).map(String.init)
            guard let binaryName = parts.first, let path = BinaryLocator.resolve(binaryName), let file = ELFFile(path: path) else {
                throw Diagnostic.error("list \(kind.rawValue): needs a binary: list \(kind.rawValue):BINARY[:PATTERN]",
                                       at: range, hint: "for example: list uprobe:libc:mall*")
            }
            let symbolPattern = parts.count > 1 ? parts[1] : "*"
            let names = kind == .usdt ? file.usdtProbes().map { "\($0.provider):\($0.name)" } : file.functionNames()
            return names.filter { Wildcard.matches(symbolPattern, $0) }.map { "\(kind.rawValue):\(binaryName):\($0)" }
        case .software, .hardware:
            let catalog = kind == .software ? PerfEvents.software : PerfEvents.hardware
            return catalog.keys.sorted().filter { Wildcard.matches(rest, $0) }.map { "\(kind.rawValue):\($0)" }
        case .profile, .interval:
            guard explicit else { return [] }
            return [kind == .profile ? "profile:hz:RATE (samples per second on every CPU)" : "interval:DURATION (on one CPU)"]
        }
    }

    /// Every name of those kinds, for "did you mean" when nothing matched.
    func names(of kinds: [ProbeKind]) -> [String] {
        kinds.flatMap { kind -> [String] in
            switch kind {
            case .tracepoint:
                guard let tracefs = try? session.backend.tracepoints() else { return [] }
                return tracefs.categories().flatMap { category in tracefs.events(in: category) + [category] }
            case .rawTracepoint, .tpBTF: return (try? session.backend.btf.tracepointNames()) ?? []
            case .kprobe, .kretprobe, .fentry, .fexit: return Array(KernelSymbols.functionNames())
            case .software: return Array(PerfEvents.software.keys)
            case .hardware: return Array(PerfEvents.hardware.keys)
            default: return []
            }
        }
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
    static let summary = "list commands, or explain one: a command, a built-in, a probe kind (help uprobe), map kinds (help maps), verifier refusals (help errors), the helpers a kind may call (help helpers KIND)"
    static let usage = "help [COMMAND | BUILTIN | builtins | KIND | maps | errors | helpers [KIND]]"
    static let example = "help probe"
    static let isRecorded = false

    let topic: Token?
    let detail: Token?

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...2, usage: Self.usage)
        topic = syntax.arguments.first
        detail = syntax.arguments.count > 1 ? syntax.arguments[1] : nil
        if let detail, topic?.text != "helpers" {
            throw Diagnostic.error("help takes one topic", at: detail.range, hint: "usage: \(Self.usage)")
        }
    }

    func execute(in session: Session, cell: Int) throws {
        if let topic {
            switch topic.text {
            case "maps":
                session.showText(MapKindGuide.text + "\n\nthe maps command: \(MapsCommand.summary)")
                return
            case "errors":
                session.showText(VerifierReport.refusals.map { "\($0.0)\n  \($0.1)" }.joined(separator: "\n")
                                 + "\n\n'show log' prints the verifier's whole log of the last refusal")
                return
            case "helpers":
                try showHelpers(session)
                return
            default:
                break
            }
            if let guide = ProbeKindGuide.named(topic.text) {
                session.showText(guide.text)
                return
            }
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
                             hints: [Suggestions.hint(for: topic.text, in: CommandRegistry.names + Builtin.names + Self.topics)].compactMap { $0 }
                                 + ["'help' lists the commands, 'help builtins' the built-ins, 'help tracepoint' a probe kind"])
        }
        let width = CommandRegistry.all.map { $0.name.count }.max() ?? 8
        var text = CommandRegistry.all.map { command in
            command.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.summary
        }.joined(separator: "\n")
        text += "\n\nbuilt-ins in probe bodies ('help builtins' describes each):\n  " + Builtin.synopsis
        text += "\n\nprobe kinds ('help KIND' explains one): " + ProbeKind.allCases.map(\.rawValue).joined(separator: ", ")
        text += "\nmore: help maps (map kinds), help errors (verifier refusals), help helpers KIND (BPF helpers a kind may call)"
        session.showText(text)
    }

    static let topics = ["maps", "errors", "helpers", "builtins"] + ProbeKind.allCases.map(\.rawValue)

    /// What `help WORD` says about a command, a built-in or a probe kind (nil for others):
    /// the notebook kernel's inspector shows it too.
    static func text(for word: String) -> String? {
        if let command = CommandRegistry.command(named: word) {
            return "\(command.usage)\n  \(command.summary)\n  example: \(command.example)"
        }
        if let builtin = Builtin.named(word) { return describe(builtin) }
        return ProbeKindGuide.named(word)?.text
    }

    /// The BPF helpers the running kernel lets a probe kind call, each with its first line
    /// of documentation (libbpf's bpf_helper_defs.h), found by asking the kernel.
    private func showHelpers(_ session: Session) throws {
        guard let detail, let guide = ProbeKindGuide.named(detail.text) else {
            throw Diagnostic.error("help helpers needs a probe kind", at: detail?.range ?? topic?.range,
                                   hint: "for example: help helpers tracepoint (kinds: \(ProbeKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let documentation = HelperDocumentation.load()
        let helpers = session.backend.helpers(allowedAt: guide.kind, among: documentation.helpers)
        guard !helpers.isEmpty else {
            throw Diagnostic.error("the kernel answered no helpers for \(guide.kind.rawValue) probes", at: detail.range,
                                   hint: "this kind may be missing here: 'features' says")
        }
        let width = helpers.map(\.name.count).max() ?? 20
        session.showText("helpers \(guide.kind.rawValue) probes may call on this kernel (\(helpers.count)):\n" + helpers.map { helper in
            "  " + helper.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + helper.summary
        }.joined(separator: "\n"))
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
