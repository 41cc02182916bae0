import Foundation
import ProcessKit

/// A syscall the per-event workload makes (bench/getppid_loop), and the tracepoint
/// each of its calls fires once.
enum TracedSyscall: String {
    /// The cheapest syscall there is: the probe's cost stands out.
    case getppid
    /// openat of a path that does not exist: fails with ENOENT, and hands the probe a
    /// user pointer to a string.
    case openat

    /// The tracepoint's name, as `bpftool perf show` lists it.
    var event: String { "sys_enter_" + rawValue }

    /// The probe point as bpfsh and bpftrace spell it.
    var tracepoint: String { "tracepoint:syscalls:" + event }
}

/// bench/getppid_loop: N calls of one syscall, prints ns per call.
enum SyscallLoop {
    /// The path the openat loop asks for (bench/getppid_loop.c's `missing_path`): the
    /// key a str() count records for the workload.
    static let openatPath = "/nonexistent/bpfsh-bench"

    static func nanosecondsPerCall(_ bench: Bench, _ syscall: TracedSyscall) -> Double? {
        let command = bench.workload(bench.programs.getppidLoop, [String(bench.settings.calls), syscall.rawValue])
        guard let result = try? Subprocess.run(command.executable, command.arguments, timeout: bench.settings.timeout),
              result.succeeded else { return nil }
        return Double(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
