/// What a probe's body sees, decided when its spec is resolved against the kernel.
public enum ProgramContext: Equatable, Sendable {
    /// `args`: the tracepoint's record, fields by name.
    case tracepoint(TracepointFormat)
    /// `ctx->args[i]`, also spelled `arg0`…`arg11`.
    case rawTracepoint
    /// Typed, named parameters from BTF (tp_btf, fentry/fexit); `result` names fexit's return value.
    case typed([TypedParameter], result: TypedParameter? = nil)
    /// `ctx` is `struct pt_regs *`: `arg0`…`arg5`, and `retval` for returns (kprobes,
    /// uprobes); named, typed parameters too where BTF knows the kernel function.
    case registers(isReturn: Bool, parameters: [TypedParameter])
    /// `ctx` is `struct bpf_perf_event_data *` (profile, software, hardware, interval).
    case perfEvent
    /// `arg0`…`arg11` read from the USDT note's argument specs.
    case usdt
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
    /// How the point reads to a user (the target list holds loader details for some kinds).
    public var label: String

    public init(kind: ProbeKind, target: [String], context: ProgramContext, label: String? = nil) {
        self.kind = kind
        self.target = target
        self.context = context
        self.label = label ?? ([kind.rawValue] + target).joined(separator: ":")
    }

    /// The ELF section: it tells libbpf the program type (and, for BTF-attached kinds,
    /// the target it resolves at load). Attachment itself is explicit, by the loader.
    public var sectionName: String {
        switch kind {
        case .tracepoint: return "tracepoint/" + target.joined(separator: "/")
        case .rawTracepoint: return "raw_tracepoint/" + target[0]
        case .tpBTF: return "tp_btf/" + target[0]
        case .kprobe: return "kprobe/" + target[0]
        case .kretprobe: return "kretprobe/" + target[0]
        case .fentry: return "fentry/" + target[0]
        case .fexit: return "fexit/" + target[0]
        case .uprobe: return "uprobe"
        case .uretprobe: return "uretprobe"
        case .usdt: return "usdt"
        case .profile, .software, .hardware, .interval: return "perf_event"
        }
    }

    public var description: String { label }
}
