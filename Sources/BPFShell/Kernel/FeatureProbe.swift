import CLibBPF
import Foundation

/// Detects what the running kernel supports by trying it: loading a minimal program,
/// creating a tiny map, opening a perf event, and closing what was made at once.
public struct FeatureProbe {
    public init() {}

    static func programType(_ type: bpf_prog_type) -> Bool { libbpf_probe_bpf_prog_type(type, nil) == 1 }
    static func mapType(_ type: bpf_map_type) -> Bool { libbpf_probe_bpf_map_type(type, nil) == 1 }
    static func helper(_ program: bpf_prog_type, _ helper: bpf_func_id) -> Bool {
        libbpf_probe_bpf_helper(program, helper, nil) == 1
    }

    static func perfEvent(_ counter: PerfEventTarget.Counter) -> (Bool, String) {
        do {
            let event = PerfEventTarget(counter: counter, sampling: .period(1_000_000), cpus: .one)
            let fd = try PerfEvents.open(event, cpu: PerfEvents.onlineCPUs().first ?? 0, kind: .software, description: "probe")
            close(fd)
            return (true, "perf_event_open works")
        } catch {
            return (false, "perf_event_open: \(error.errnoName)")
        }
    }

    /// The kernel-side findings (tp_btf and fentry need compiled programs: the session adds them).
    public func run() -> [FeatureFinding] {
        var findings: [FeatureFinding] = []
        func add(_ name: String, _ available: Bool, _ detail: String) {
            findings.append(FeatureFinding(name: name, isAvailable: available, detail: detail))
        }
        let btf = FileManager.default.fileExists(atPath: KernelBTF.path)
        add("kernel BTF", btf, btf ? KernelBTF.path : "no /sys/kernel/btf/vmlinux: CO-RE and tp_btf need CONFIG_DEBUG_INFO_BTF")
        let tracefs = (try? Tracefs.locate()) != nil
        add("tracepoint", tracefs && Self.programType(BPF_PROG_TYPE_TRACEPOINT), tracefs ? "tracefs mounted" : "tracefs not mounted")
        add("rawtracepoint", Self.programType(BPF_PROG_TYPE_RAW_TRACEPOINT), "program type loads")
        add("kprobe", KernelFeatures.kprobesAvailable,
            KernelFeatures.kprobesAvailable ? "kprobe PMU or kprobe_events" : "no kprobe PMU, no kprobe_events (CONFIG_KPROBE_EVENTS off)")
        add("uprobe", KernelFeatures.uprobesAvailable,
            KernelFeatures.uprobesAvailable ? "uprobe PMU or uprobe_events" : "no uprobe PMU, no uprobe_events")
        let (software, softwareDetail) = Self.perfEvent(.software(config: 0))
        add("software perf events", software, softwareDetail)
        let (hardware, hardwareDetail) = Self.perfEvent(.hardware(config: 0))
        add("hardware perf events", hardware, hardware ? hardwareDetail : hardwareDetail + " (no PMU)")
        add("ring buffer", Self.mapType(BPF_MAP_TYPE_RINGBUF), "print() output")
        add("bpf_snprintf", Self.helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_snprintf), "print() formatting in the kernel")
        add("stack traces", Self.mapType(BPF_MAP_TYPE_STACK_TRACE), "stack map")
        add("per-CPU hash", Self.mapType(BPF_MAP_TYPE_PERCPU_HASH), "count and hist maps")
        return findings
    }
}
