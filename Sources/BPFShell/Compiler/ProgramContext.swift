/// What a probe's body sees, decided when its spec is resolved against the kernel.
public enum ProgramContext: Equatable, Sendable {
    /// `args`: the tracepoint's record, fields by name.
    case tracepoint(TracepointFormat)
    /// `ctx->args[i]`, also spelled `arg0`…`arg11`.
    case rawTracepoint
    /// Typed, named parameters from BTF (tp_btf, fentry/fexit).
    case typed([TypedParameter])
}

public struct TypedParameter: Equatable, Sendable {
    public var name: String
    /// A C declaration of the parameter, e.g. "struct task_struct *prev".
    public var declaration: String

    public init(name: String, declaration: String) {
        self.name = name
        self.declaration = declaration
    }
}

/// One place a probe's program attaches (a wildcard spec resolves to several).
public struct AttachPoint: Equatable, Sendable {
    public var kind: ProbeKind
    /// The kind-specific target: ["syscalls", "sys_enter_openat"] or ["sched_switch"].
    public var target: [String]
    public var context: ProgramContext

    public init(kind: ProbeKind, target: [String], context: ProgramContext) {
        self.kind = kind
        self.target = target
        self.context = context
    }

    public var sectionName: String {
        switch kind {
        case .tracepoint: return "tracepoint/" + target.joined(separator: "/")
        case .rawTracepoint: return "raw_tracepoint/" + target.joined()
        case .tpBTF: return "tp_btf/" + target.joined()
        case .kprobe: return "kprobe/" + target.joined()
        case .kretprobe: return "kretprobe/" + target.joined()
        case .fentry: return "fentry/" + target.joined()
        case .fexit: return "fexit/" + target.joined()
        case .uprobe: return "uprobe"
        case .uretprobe: return "uretprobe"
        case .usdt: return "usdt"
        case .profile, .software, .hardware, .interval: return "perf_event"
        }
    }

    public var description: String {
        ([kind.rawValue] + target).joined(separator: ":")
    }
}
