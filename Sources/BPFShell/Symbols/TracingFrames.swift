/// The kernel's path from a traced event into a BPF program: the program itself and the
/// tracepoint, kprobe, uprobe or trampoline dispatch that ran it. It is how bpfsh looks,
/// not what the user traces, so kernel stacks start below it unless `set stack-frames all`.
enum TracingFrames {
    /// Function names (or prefixes, ending in "*") of the dispatch path, innermost first.
    static let functions = [
        "bpf_prog_*", "bpf_trampoline_*", "__bpf_tramp_*", "bpf_dispatcher_*", "__bpf_prog_*", "bpf_prog_run*",
        "bpf_trace_run*", "__bpf_trace_*", "__traceiter_*", "trace_call_bpf", "perf_trace_*", "perf_call_bpf_*",
        "perf_syscall_enter", "perf_syscall_exit", "trace_event_raw_event_*", "bpf_get_stackid*", "bpf_get_stack*",
        "kprobe_perf_func", "kprobe_dispatcher", "kretprobe_perf_func", "kretprobe_dispatcher", "kprobe_ftrace_handler",
        "pre_handler_kretprobe", "__kretprobe_trampoline_handler", "kretprobe_trampoline_handler", "kprobe_int3_handler",
        "arch_rethook_trampoline*", "rethook_trampoline_handler", "fprobe_handler", "fprobe_exit_handler",
        "uprobe_dispatcher", "uretprobe_dispatcher", "__uprobe_perf_func", "uprobe_perf_func", "uretprobe_perf_func",
        "handler_chain", "handle_swbp", "uprobe_notify_resume",
    ]

    private static let exact = Set(functions.filter { !$0.hasSuffix("*") })
    private static let prefixes = functions.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }

    static func isTracing(_ function: String) -> Bool {
        exact.contains(function) || prefixes.contains { function.hasPrefix($0) }
    }

    /// The stack without its innermost run of dispatch frames; a stack made only of
    /// them stays whole (something is better than nothing).
    static func trimmed(_ addresses: [UInt64], function: (UInt64) -> String?) -> ArraySlice<UInt64> {
        guard let first = addresses.firstIndex(where: { address in function(address).map { !isTracing($0) } ?? true }) else {
            return addresses[...]
        }
        return addresses[first...]
    }
}

/// Frame names as they are shown and folded: one line each, no control characters
/// (a kernel module's tab, a symbol with a newline in it).
enum FrameName {
    static func clean(_ name: String) -> String {
        // C0 controls and DEL are single bytes; C1 controls start with 0xC2 in UTF-8.
        guard name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f || $0 == 0xc2 }),
              name.unicodeScalars.contains(where: isControl) else { return name }
        return String(String.UnicodeScalarView(name.unicodeScalars.map { isControl($0) ? " " : $0 }))
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }
}

/// `set stack-frames`: kernel stacks from the traced code down (the default), or with
/// the BPF program and the kernel's dispatch into it on top.
public enum StackFrameSetting: String, CaseIterable, Sendable {
    case traced, all
}
