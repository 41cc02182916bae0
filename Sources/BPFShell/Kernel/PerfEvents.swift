import CShim
import Foundation

/// Perf events by the names perf and bpftrace use, and opening them on CPUs.
public enum PerfEvents {
    /// PERF_TYPE_HARDWARE and PERF_TYPE_SOFTWARE.
    public enum EventType: UInt32, Sendable {
        case hardware = 0
        case software = 1
    }

    public static let software: [String: UInt64] = [
        "cpu-clock": 0, "cpu": 0, "task-clock": 1, "page-faults": 2, "faults": 2, "context-switches": 3, "cs": 3,
        "cpu-migrations": 4, "migrations": 4, "minor-faults": 5, "major-faults": 6, "alignment-faults": 7,
        "emulation-faults": 8, "dummy": 9,
    ]

    public static let hardware: [String: UInt64] = [
        "cpu-cycles": 0, "cycles": 0, "instructions": 1, "cache-references": 2, "cache-misses": 3,
        "branch-instructions": 4, "branches": 4, "branch-misses": 5, "bus-cycles": 6,
        "stalled-cycles-frontend": 7, "stalled-cycles-backend": 8, "ref-cycles": 9,
    ]

    /// Events between samples when the spec gives no period (clocks count nanoseconds).
    public static func defaultPeriod(for name: String, isHardware: Bool) -> UInt64 {
        if !isHardware, ["cpu-clock", "cpu", "task-clock"].contains(name) { return 1_000_000 }
        return isHardware ? 1_000_000 : 1
    }

    /// The CPUs that are online now, from sysfs ("0-3,6").
    public static func onlineCPUs() -> [Int32] {
        guard let text = KernelFile.read("/sys/devices/system/cpu/online") else {
            return Array(0..<Int32(KernelMap.possibleCPUs))
        }
        var cpus: [Int32] = []
        for range in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let bounds = range.split(separator: "-").compactMap { Int32($0) }
            if bounds.count == 2 { cpus += Array(bounds[0]...bounds[1]) } else if let cpu = bounds.first { cpus.append(cpu) }
        }
        return cpus
    }

    /// Opens one sampling event on `cpu`; the fd goes to a link that closes it.
    static func open(_ event: PerfEventTarget, cpu: Int32, kind: ProbeKind, description: String) throws(KernelError) -> Int32 {
        let (type, config): (EventType, UInt64)
        switch event.counter {
        case let .hardware(number): (type, config) = (.hardware, number)
        case let .software(number): (type, config) = (.software, number)
        }
        let (amount, useFrequency): (UInt64, Bool)
        switch event.sampling {
        case let .frequency(rate): (amount, useFrequency) = (rate, true)
        case let .period(period): (amount, useFrequency) = (period, false)
        }
        let fd = bpfsh_perf_event_open(type.rawValue, config, amount, useFrequency ? 1 : 0, cpu)
        guard fd >= 0 else {
            var error = KernelError(.attach(kind), subject: description, errno: -fd)
            if type == .hardware, [ENOENT, EOPNOTSUPP, ENODEV].contains(-fd) {
                error.hint = "hardware perf events need a PMU, and this machine exposes none (a VM without PMU passthrough?): software:cpu-clock and profile:hz:N work instead"
            }
            throw error
        }
        return fd
    }
}
