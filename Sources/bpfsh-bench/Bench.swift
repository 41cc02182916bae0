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

    /// Where the start-up, script and print() parts attach; the per-event rows take
    /// theirs from `PerEventMode.syscall`.
    static let tracepoint = TracedSyscall.getppid.tracepoint

    /// A workload command, pinned to the benchmark CPU with taskset when one is set.
    func workload(_ program: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        guard let cpu = settings.cpu else { return (program, arguments) }
        return ("taskset", ["-c", String(cpu), program] + arguments)
    }
}
