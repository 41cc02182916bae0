import Foundation

/// One per-event row: the syscall the workload makes and the probe each tool puts on
/// it. Everything that differs between rows is here, so a row is one more case.
enum PerEventMode: String, CaseIterable {
    /// Count by comm on getppid.
    case count
    /// Log2 histogram of nsecs on getppid.
    case hist
    /// Count by a string read from a user pointer: openat's filename.
    case str

    /// The workload's syscall; its tracepoint is where every tool attaches.
    var syscall: TracedSyscall { self == .str ? .openat : .getppid }

    /// The row's name: "per-event str count (ns)".
    var measure: String { "per-event \(label) (ns)" }

    /// The row's key in results.json: "per_event_str_count_ns".
    var key: String { "per_event_\(label.replacingOccurrences(of: " ", with: "_"))_ns" }

    private var label: String { self == .str ? "str count" : rawValue }

    /// The C reference's argument: `ref count|hist|str`.
    var referenceArgument: String { rawValue }

    /// The same probe in bpftrace.
    var bpftraceProgram: String {
        switch self {
        case .count: return "\(syscall.tracepoint) { @[comm] = count(); }"
        case .hist: return "\(syscall.tracepoint) { @h = hist(nsecs); }"
        case .str: return "\(syscall.tracepoint) { @[str(args->filename)] = count(); }"
        }
    }

    /// What bpfsh is sent: the map, the probe, and the command that shows the map.
    struct BPFShCommands {
        let map: String
        let probe: String
        let print: String
    }

    var bpfshCommands: BPFShCommands {
        switch self {
        case .count:
            return BPFShCommands(map: "map c count<comm_t>",
                                 probe: "probe \(syscall.tracepoint) { count(c, comm()); }", print: "print c top 3")
        case .hist:
            return BPFShCommands(map: "map h hist",
                                 probe: "probe \(syscall.tracepoint) { hist(h, nsecs()); }", print: "print h")
        case .str:
            return BPFShCommands(map: "map f count<str_t>",
                                 // Every path any process opened is a key: the log keeps short lines whole.
                                 probe: "probe \(syscall.tracepoint) { count(f, str(args->filename)); }", print: "print f top 3")
        }
    }

    /// The key under which a count map holds the workload's events (logged as what a
    /// tool recorded); nil for the histogram.
    var workloadKey: String? {
        switch self {
        case .count: return "getppid_loop"
        case .hist: return nil
        case .str: return SyscallLoop.openatPath
        }
    }
}
