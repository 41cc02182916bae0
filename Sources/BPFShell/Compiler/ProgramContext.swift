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

/// Where one program attaches, with the facts its kind needs and nothing packed into strings.
public enum AttachTarget: Equatable, Sendable {
    case tracepoint(category: String, event: String)
    case rawTracepoint(event: String)
    /// tp_btf: a BTF-typed tracepoint, resolved by libbpf at load.
    case btfTracepoint(event: String)
    /// kprobe / kretprobe.
    case kernelFunction(name: String, offset: Int, isReturn: Bool)
    /// fentry / fexit: a BPF trampoline on a function BTF describes.
    case trampoline(function: String, isExit: Bool)
    /// uprobe / uretprobe on a function of an ELF file: `function` and `offset` as typed,
    /// `fileOffset` where bpfsh resolved them (symbol versions and all), which is what attaches.
    case userFunction(binary: String, function: String, offset: Int, fileOffset: UInt64, isReturn: Bool)
    case usdt(binary: String, provider: String, name: String)
    /// profile, software, hardware, interval: a perf event per CPU (or on one CPU).
    case perfEvent(PerfEventTarget)
}

/// A sampling perf event: which counter, how often, and on which CPUs.
public struct PerfEventTarget: Equatable, Sendable {
    /// PERF_TYPE_HARDWARE and PERF_TYPE_SOFTWARE.
    public enum Counter: Equatable, Sendable {
        case hardware(config: UInt64)
        case software(config: UInt64)
    }

    public enum Sampling: Equatable, Sendable {
        /// Samples per second (profile:hz:N).
        case frequency(UInt64)
        /// Events between samples (software:page-faults:100, interval's nanoseconds).
        case period(UInt64)
    }

    public enum CPUs: Equatable, Sendable {
        /// Every online CPU, found when attaching (profile, software, hardware).
        case all
        /// The first online CPU: an interval fires once per period, not once per CPU.
        case one
    }

    public var counter: Counter
    public var sampling: Sampling
    public var cpus: CPUs

    public init(counter: Counter, sampling: Sampling, cpus: CPUs) {
        self.counter = counter
        self.sampling = sampling
        self.cpus = cpus
    }
}

/// One place a probe's program attaches (a wildcard spec resolves to several).
public struct AttachPoint: Equatable, Sendable {
    public var kind: ProbeKind
    public var target: AttachTarget
    public var context: ProgramContext
    /// How the point reads to a user.
    public var label: String

    public init(kind: ProbeKind, target: AttachTarget, context: ProgramContext, label: String? = nil) {
        self.kind = kind
        self.target = target
        self.context = context
        self.label = label ?? Self.defaultLabel(kind: kind, target: target)
    }

    private static func defaultLabel(kind: ProbeKind, target: AttachTarget) -> String {
        switch target {
        case let .tracepoint(category, event): return "\(kind.rawValue):\(category):\(event)"
        case let .rawTracepoint(event), let .btfTracepoint(event): return "\(kind.rawValue):\(event)"
        case let .kernelFunction(name, offset, _): return "\(kind.rawValue):\(name)" + (offset == 0 ? "" : "+\(offset)")
        case let .trampoline(function, _): return "\(kind.rawValue):\(function)"
        case let .userFunction(binary, function, offset, _, _):
            return "\(kind.rawValue):\(binary):\(function)" + (offset == 0 ? "" : "+\(offset)")
        case let .usdt(binary, provider, name): return "\(kind.rawValue):\(binary):\(provider):\(name)"
        case .perfEvent: return kind.rawValue
        }
    }

    /// The ELF section: it tells libbpf the program type (and, for BTF-attached kinds,
    /// the target it resolves at load). Attachment itself is explicit, by the loader.
    public var sectionName: String {
        switch target {
        case let .tracepoint(category, event): return "tracepoint/\(category)/\(event)"
        case let .rawTracepoint(event): return "raw_tracepoint/" + event
        case let .btfTracepoint(event): return "tp_btf/" + event
        case let .kernelFunction(name, _, isReturn): return (isReturn ? "kretprobe/" : "kprobe/") + name
        case let .trampoline(function, isExit): return (isExit ? "fexit/" : "fentry/") + function
        case let .userFunction(_, _, _, _, isReturn): return isReturn ? "uretprobe" : "uprobe"
        case .usdt: return "usdt"
        case .perfEvent: return "perf_event"
        }
    }

    public var description: String { label }

    /// Whether the pointers the body gets point into a process (uprobes, USDT, syscall
    /// tracepoints) rather than into the kernel.
    public var readsUserMemory: Bool {
        switch target {
        case .userFunction, .usdt: return true
        case let .tracepoint(category, _): return category == "syscalls"
        default: return false
        }
    }

    /// The struct a tracepoint body's `args` points to (nil for other kinds).
    public var recordStructName: String? {
        if case let .tracepoint(format) = context { return format.structName }
        return nil
    }
}
