/// Every probe kind bpfsh knows, with the facts about it in one place:
/// adding a kind means adding a case here, not editing switches across files.
public enum ProbeKind: String, CaseIterable, Sendable {
    case tracepoint
    case rawTracepoint = "rawtracepoint"
    case tpBTF = "tp_btf"
    case kprobe
    case kretprobe
    case fentry
    case fexit
    case uprobe
    case uretprobe
    case usdt
    case profile
    case software
    case hardware
    case interval

    /// Every spelling accepted before the first ':'.
    public var aliases: [String] {
        switch self {
        case .tracepoint: return ["tracepoint", "tp", "t"]
        case .rawTracepoint: return ["rawtracepoint", "raw_tracepoint", "rawtp", "raw_tp"]
        case .tpBTF: return ["tp_btf"]
        case .kprobe: return ["kprobe", "k"]
        case .kretprobe: return ["kretprobe", "kr"]
        case .fentry: return ["fentry", "f"]
        case .fexit: return ["fexit", "fr"]
        case .uprobe: return ["uprobe", "u"]
        case .uretprobe: return ["uretprobe", "ur"]
        case .usdt: return ["usdt", "U"]
        case .profile: return ["profile", "p"]
        case .software: return ["software", "s"]
        case .hardware: return ["hardware", "h"]
        case .interval: return ["interval", "i"]
        }
    }

    /// The colon-separated parts after the kind, as a user would write them.
    public var syntax: String {
        switch self {
        case .tracepoint: return "tracepoint:CATEGORY:EVENT"
        case .rawTracepoint: return "rawtracepoint:EVENT"
        case .tpBTF: return "tp_btf:EVENT"
        case .kprobe: return "kprobe:FUNCTION[+OFFSET]"
        case .kretprobe: return "kretprobe:FUNCTION"
        case .fentry: return "fentry:FUNCTION"
        case .fexit: return "fexit:FUNCTION"
        case .uprobe: return "uprobe:BINARY:SYMBOL[+OFFSET]"
        case .uretprobe: return "uretprobe:BINARY:SYMBOL"
        case .usdt: return "usdt:BINARY:PROVIDER:NAME"
        case .profile: return "profile:hz:RATE"
        case .software: return "software:EVENT:PERIOD"
        case .hardware: return "hardware:EVENT:PERIOD"
        case .interval: return "interval:DURATION"
        }
    }

    /// How many ':'-separated parts follow the kind (a minimum and a maximum).
    var partCount: ClosedRange<Int> {
        switch self {
        case .tracepoint: return 2...2
        case .rawTracepoint, .tpBTF, .kprobe, .kretprobe, .fentry, .fexit, .interval: return 1...1
        case .uprobe, .uretprobe: return 2...2
        case .usdt: return 3...3
        case .profile: return 2...2
        case .software, .hardware: return 1...2
        }
    }

    /// Whether the body sees a return value.
    public var isReturn: Bool {
        self == .kretprobe || self == .fexit || self == .uretprobe
    }

    /// Whether the kind samples through a perf event rather than a code location.
    public var isPerfEvent: Bool {
        switch self {
        case .profile, .software, .hardware, .interval: return true
        default: return false
        }
    }

    public static func named(_ text: String) -> ProbeKind? {
        allCases.first { $0.aliases.contains(text) }
    }
}
