import Foundation
import ProcessKit

/// What the kernel holds in BPF: perf-event attachments (who probes syscalls right
/// now) and program / map ids (for the leftover check). Read through bpftool's JSON.
struct KernelObjects {
    /// One perf-event attachment (`bpftool perf show`).
    struct PerfLink {
        let pid: pid_t
        let programID: Int
        let tracepoint: String
    }

    static func perfLinks() -> [PerfLink] {
        (bpftoolJSON(["perf", "show"]) ?? []).compactMap { entry in
            guard let pid = entry["pid"] as? Int else { return nil }
            return PerfLink(pid: pid_t(pid), programID: entry["prog_id"] as? Int ?? 0,
                            tracepoint: entry["tracepoint"] as? String ?? entry["func"] as? String ?? "")
        }
    }

    /// Attachments to the syscall's tracepoint: bpftrace says "Attaching" before it
    /// attaches, so the harness waits for this count to grow.
    static func attachments(to syscall: TracedSyscall) -> Int {
        perfLinks().filter { $0.tracepoint == syscall.event }.count
    }

    /// Probes on syscall tracepoints held by processes other than `own` and its
    /// descendants: someone else tracing syscalls (a test suite running bpfsh) may run a
    /// program on every call of the workload's syscall too and spoil the numbers.
    static func foreignSyscallProbes(excluding own: pid_t? = nil) -> [PerfLink] {
        perfLinks().filter { link in
            let isSyscall = link.tracepoint.hasPrefix("sys_enter") || link.tracepoint.hasPrefix("sys_exit")
                || link.tracepoint.contains("getppid")
            guard isSyscall else { return false }
            if let own, link.pid == own || ProcFS.isDescendant(link.pid, of: own) { return false }
            return true
        }
    }

    /// Waits (up to `seconds`) until nobody else probes a syscall tracepoint.
    static func waitQuiet(seconds: Double = 30, log: BenchLog) -> Bool {
        let deadline = Deadline.after(seconds)
        var first = true
        while true {
            let foreign = foreignSyscallProbes()
            if foreign.isEmpty { return true }
            if first {
                log.say("waiting for other processes' syscall probes to go away: "
                    + foreign.map { "pid \($0.pid) \($0.tracepoint)" }.joined(separator: "; "))
                first = false
            }
            if deadline.hasPassed { return false }
            pause(0.1)
        }
    }

    static func programIDs() -> Set<Int> { ids(of: "prog") }
    static func mapIDs() -> Set<Int> { ids(of: "map") }

    private static func ids(of kind: String) -> Set<Int> {
        Set((bpftoolJSON([kind, "show"]) ?? []).compactMap { $0["id"] as? Int })
    }

    /// Programs and maps some live process holds (an fd, or a perf-event attachment,
    /// and the maps of such programs): not ours to report once our processes are gone.
    static func heldIDs() -> (programs: Set<Int>, maps: Set<Int>) {
        var programs = Set(perfLinks().map(\.programID))
        var maps: Set<Int> = []
        let proc = "/proc"
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: proc)) ?? [] where pid.first?.isNumber ?? false {
            let fdinfo = proc + "/" + pid + "/fdinfo"
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: fdinfo)) ?? [] {
                guard let text = ProcFS.readText(fdinfo + "/" + fd) else { continue }
                for line in text.split(separator: "\n") {
                    if line.hasPrefix("prog_id:"), let id = Int(line.dropFirst(8).trimmingCharacters(in: .whitespaces)) {
                        programs.insert(id)
                    } else if line.hasPrefix("map_id:"), let id = Int(line.dropFirst(7).trimmingCharacters(in: .whitespaces)) {
                        maps.insert(id)
                    }
                }
            }
        }
        for program in bpftoolJSON(["prog", "show"]) ?? [] {
            guard let id = program["id"] as? Int, programs.contains(id) else { continue }
            (program["map_ids"] as? [Int] ?? []).forEach { maps.insert($0) }
        }
        return (programs, maps)
    }

    private static func bpftoolJSON(_ arguments: [String]) -> [[String: Any]]? {
        guard let result = try? Subprocess.run("bpftool", ["-j"] + arguments, timeout: 30), result.succeeded,
              let value = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) else { return nil }
        return value as? [[String: Any]]
    }
}
