import Foundation
import ProcessKit

/// Per-event cost: ns per call of the mode's syscall (getppid, or openat for str) with
/// the probe attached minus with nothing attached.
///
/// One sample is a run with nothing attached, then the tool is started, a run with its
/// probe attached, and the tool is stopped. The tools take turns (the order rotates
/// each round) so that all of them see the same machine: this VM's syscall speed
/// drifts between regimes lasting seconds (e.g. 170 vs 225 ns per getppid), so runs
/// far apart in time are not comparable; adjacent ones mostly are. The cost of a tool
/// is the median over rounds of (attached run - baseline run).
struct PerEventBench {
    let bench: Bench
    let tools: [PerEventTool]

    struct Outcome {
        /// Median cost in ns per tool name; a tool that failed has none.
        var cost: [String: Double] = [:]
        /// Rounds measured while someone else probed syscalls (after retries).
        var disturbedRounds = 0
    }

    func measure(_ mode: PerEventMode) -> Outcome {
        let settings = bench.settings
        let log = bench.log
        log.log("per-event \(mode.rawValue): \(settings.rounds) rounds of \(settings.calls) \(mode.syscall.rawValue) calls per run, tools "
            + tools.map(\.name).joined(separator: " ") + " (expected \(settings.calls) events per attached run)")
        var outcome = Outcome()
        var differences: [String: [Double]] = [:]
        var baselines: [String: [Double]] = [:]
        var attachedRuns: [String: [Double]] = [:]
        var failed: Set<String> = []
        for round in 0..<settings.rounds {
            for index in tools.indices {
                let tool = tools[(round + index) % tools.count]
                guard !failed.contains(tool.name) else { continue }
                // A round during which someone else traced syscalls is retried.
                for attempt in 1...3 {
                    guard let sample = sample(tool, mode) else {
                        failed.insert(tool.name)
                        break
                    }
                    log.log("  round \(round + 1) \(tool.name): nothing \(sample.baseline), attached \(sample.attached) ns/call, "
                        + "difference \((sample.attached - sample.baseline).oneDecimal)"
                        + (sample.isDisturbed ? " (OTHER SYSCALL PROBES ATTACHED)" : ""))
                    if sample.isDisturbed, attempt < 3 {
                        log.log("  (retrying round \(round + 1) for \(tool.name))")
                        continue
                    }
                    if sample.isDisturbed { outcome.disturbedRounds += 1 }
                    differences[tool.name, default: []].append(sample.attached - sample.baseline)
                    baselines[tool.name, default: []].append(sample.baseline)
                    attachedRuns[tool.name, default: []].append(sample.attached)
                    break
                }
            }
        }
        for tool in tools where !failed.contains(tool.name) {
            guard let cost = Statistics.median(differences[tool.name] ?? []) else { continue }
            outcome.cost[tool.name] = cost
            log.log("  => \(tool.name) \(mode.rawValue): cost \(cost.oneDecimal) ns (median of differences; baseline median "
                + "\(Statistics.median(baselines[tool.name] ?? [])?.oneDecimal ?? "n/a"), attached median "
                + "\(Statistics.median(attachedRuns[tool.name] ?? [])?.oneDecimal ?? "n/a"))")
        }
        return outcome
    }

    private struct Sample {
        let baseline: Double
        let attached: Double
        let isDisturbed: Bool
    }

    private func sample(_ tool: PerEventTool, _ mode: PerEventMode) -> Sample? {
        let log = bench.log
        var disturbed = !KernelObjects.waitQuiet(log: log)
        guard let baseline = SyscallLoop.nanosecondsPerCall(bench, mode.syscall) else {
            log.log("  workload failed")
            return nil
        }
        disturbed = disturbed || !KernelObjects.foreignSyscallProbes().isEmpty
        guard let attached = tool.attach(mode) else {
            log.say("\(tool.name) \(mode.rawValue): probe did not attach (see \(bench.settings.logs))")
            return nil
        }
        disturbed = disturbed || !KernelObjects.foreignSyscallProbes(excluding: attached.pid).isEmpty
        let withProbe = SyscallLoop.nanosecondsPerCall(bench, mode.syscall)
        disturbed = disturbed || !KernelObjects.foreignSyscallProbes(excluding: attached.pid).isEmpty
        guard attached.detach() else {
            log.say("\(tool.name) \(mode.rawValue): did not exit cleanly (see \(bench.settings.logs))")
            return nil
        }
        guard let withProbe else {
            log.log("  workload failed")
            return nil
        }
        return Sample(baseline: baseline, attached: withProbe, isDisturbed: disturbed)
    }
}
