import Foundation

/// What the running kernel can attach, read from what it exposes (never from its
/// version), and the sentence a user needs when something is missing.
public enum KernelFeatures {
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// kprobes attach through the kprobe PMU or, on older kernels, tracefs kprobe_events;
    /// both need CONFIG_KPROBE_EVENTS.
    public static var kprobesAvailable: Bool {
        exists("/sys/bus/event_source/devices/kprobe/type") || exists("/sys/kernel/tracing/kprobe_events")
            || exists("/sys/kernel/debug/tracing/kprobe_events")
    }

    public static var uprobesAvailable: Bool {
        exists("/sys/bus/event_source/devices/uprobe/type") || exists("/sys/kernel/tracing/uprobe_events")
    }

    public static let kprobesMissing = "kprobes are not available on this kernel: it has no kprobe PMU (/sys/bus/event_source/devices/kprobe) and no tracefs kprobe_events (CONFIG_KPROBE_EVENTS is off)"
    public static let kprobesAlternatives = "use a tracepoint (list tracepoint:*), rawtracepoint: or tp_btf:, or fentry:FUNC where BPF trampolines work"

    public static let uprobesMissing = "uprobes are not available on this kernel: it has no uprobe PMU (/sys/bus/event_source/devices/uprobe) and no tracefs uprobe_events (CONFIG_UPROBE_EVENTS is off)"

    /// Why a BTF-attached tracing program (fentry/fexit) was refused with EPERM as root.
    public static let trampolinesRefused = "the kernel refused to load this tracing program (EPERM) although bpfsh runs as root: fentry/fexit need BPF trampolines, which this kernel does not allow (kernel lockdown, or no CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
    public static let trampolineAlternatives = "kprobe:FUNC / kretprobe:FUNC reach the same functions where kprobes work; tracepoints and tp_btf: work here"
}
