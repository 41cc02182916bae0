import Foundation
import ProcessKit

/// What every part of the benchmark needs: the knobs, the log, the built programs,
/// which tools take part, and scratch directories.
struct Bench {
    let settings: BenchSettings
    let log: BenchLog
    let programs: ReferenceBuild.Programs
    let hasBPFtrace: Bool
    let hasBPFsh: Bool
    /// Scratch space, removed at the end.
    let temporary: String
    /// Where print() output goes: a tmpfs when there is one, so that the disk is not
    /// what limits a tool's streaming rate.
    let sink: String

    static let tracepoint = "tracepoint:syscalls:sys_enter_getppid"

    /// A workload command, pinned to the benchmark CPU with taskset when one is set.
    func workload(_ program: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        guard let cpu = settings.cpu else { return (program, arguments) }
        return ("taskset", ["-c", String(cpu), program] + arguments)
    }
}

/// bench/getppid_loop: N getppid calls, prints ns per call.
enum GetppidLoop {
    static func nanosecondsPerCall(_ bench: Bench) -> Double? {
        let command = bench.workload(bench.programs.getppidLoop, [String(bench.settings.calls)])
        guard let result = try? Subprocess.run(command.executable, command.arguments, timeout: bench.settings.timeout),
              result.succeeded else { return nil }
        return Double(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
