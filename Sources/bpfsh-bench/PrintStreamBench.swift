import Foundation
import ProcessKit

/// print() streaming. One step: start bench/getppid_rate paused (it prints its pid and
/// waits for a byte on stdin), start the tool with a probe filtered on that pid and its
/// stdout in a file on a tmpfs, release the workload, wait for it, let the tool drain,
/// stop it, then count the lines the tool wrote for that pid and the records it
/// reported lost. The workload's call count is exact, so
///   lines == calls and lost == 0   at a steady rate means nothing was dropped,
///   lines + lost == calls          under overload means loss is counted exactly.
struct PrintStreamBench {
    let bench: Bench

    struct Step {
        var calls: Int?
        var seconds: Double?
        /// Calls per second the workload reached with the probe on.
        var achievedRate: Double?
        var lines: Int?
        var lost: Int?
        /// User + system CPU of the tool's process from attach until drained.
        var cpuSeconds: Double?
        var failure: String?
        var isDisturbed = false

        var isClean: Bool { failure == nil && lost == 0 && lines != nil && lines == calls }
    }

    /// What `stream_tool` used to gather per tool.
    struct Figures {
        /// Highest rate that passed (events/s), 0 if none.
        var zeroLossRate = 0
        var zeroLossWhy = "passed every rate"
        var overloadDrained: Double?
        /// "exact" or "off N"; nil when a run failed.
        var exactness: String?
        var cpuNanosecondsPerLine: Double?
        var overloadNote = "n/a"
        var stallNote = "n/a"
        var disturbedRuns = 0
    }

    func measure(_ tool: PrintTool) -> Figures {
        let settings = bench.settings
        var figures = Figures()
        bench.log.say("print() streaming: \(tool.name) at "
            + settings.printRates.map(String.init).joined(separator: ", ") + " events/s, "
            + "\(settings.printSeconds) s each, then unpaced")
        for rate in settings.printRates {
            // A run where only the workload fell short (nothing lost) is tried once more:
            // the VM's syscall speed drifts.
            var step = run(tool, rate: rate)
            if step.isClean, (step.achievedRate ?? 0) < 0.95 * Double(rate) {
                bench.log.log("  (workload short of \(rate)/s: trying once more)")
                step = run(tool, rate: rate)
            }
            if step.isDisturbed { figures.disturbedRuns += 1 }
            if let failure = step.failure {
                figures.zeroLossWhy = "at \(rate)/s the step failed: \(failure)"
                bench.log.say("print() \(tool.name): \(figures.zeroLossWhy) (see \(settings.logs)/stream-\(tool.name)-\(rate).*)")
                break
            }
            guard step.isClean else {
                figures.zeroLossWhy = "at \(rate)/s: \(text(step.lost)) lost, \(text(step.lines)) lines for \(text(step.calls)) calls"
                break
            }
            if let achieved = step.achievedRate, achieved < 0.95 * Double(rate) {
                figures.zeroLossWhy = "at \(rate)/s the workload reached only \(Int(achieved))/s with the probe on (nothing lost)"
                break
            }
            figures.zeroLossRate = rate
        }
        bench.log.log("  => \(tool.name): highest zero-loss rate \(figures.zeroLossRate)/s; \(figures.zeroLossWhy)")

        let overload = run(tool, rate: 0, maxCalls: settings.printMaxCalls)
        if overload.isDisturbed { figures.disturbedRuns += 1 }
        if overload.failure == nil, let lines = overload.lines, let calls = overload.calls, let seconds = overload.seconds,
           let lost = overload.lost {
            figures.overloadDrained = Double(lines) / seconds
            let off = lines + lost - calls
            figures.exactness = off == 0 ? "exact" : "off \(off)"
            if let cpu = overload.cpuSeconds, lines > 0 { figures.cpuNanosecondsPerLine = cpu * 1e9 / Double(lines) }
            figures.overloadNote = "\(calls) calls in \(String(format: "%.3f", seconds)) s, \(lines) lines, \(lost) lost"
        } else {
            figures.overloadNote = "failed: \(overload.failure ?? "no numbers")"
            bench.log.say("print() \(tool.name) overload: \(figures.overloadNote)")
        }
        bench.log.log("  => \(tool.name) overload: \(figures.overloadNote); drained "
            + "\(figures.overloadDrained.map { String(Int($0)) } ?? "n/a")/s; count \(figures.exactness ?? "n/a"); "
            + "consumer CPU \(figures.cpuNanosecondsPerLine.map { String(Int($0)) } ?? "n/a") ns per line")

        // Loss must happen to be counted: stop the reader for a moment. (A reader that
        // keeps up loses nothing in the overload run, which would leave counting untested.)
        let stalled = run(tool, rate: 0, maxCalls: settings.printMaxCalls, stall: 0.5)
        if stalled.isDisturbed { figures.disturbedRuns += 1 }
        if stalled.failure == nil, let lines = stalled.lines, let calls = stalled.calls, let lost = stalled.lost {
            let off = lines + lost - calls
            figures.stallNote = "\(calls) calls, \(lines) lines, \(lost) lost"
            if off != 0 {
                figures.exactness = "off \(off)"
            } else if lost == 0 {
                figures.stallNote += " (nothing lost: loss counting not exercised)"
            }
        } else {
            figures.stallNote = "failed: \(stalled.failure ?? "no numbers")"
            figures.exactness = nil
            bench.log.say("print() \(tool.name) with the reader stopped: \(figures.stallNote)")
        }
        bench.log.log("  => \(tool.name) with the reader stopped 0.5 s: \(figures.stallNote); count \(figures.exactness ?? "n/a")")
        return figures
    }

    private func text(_ value: Int?) -> String { value.map(String.init) ?? "n/a" }

    /// One run at `rate` calls/s (0: unpaced) for `printSeconds`; with `stall`, the
    /// tool's process is stopped (SIGSTOP) for that long from 0.3 s after the workload
    /// starts, so that the ring buffer overflows.
    func run(_ tool: PrintTool, rate: Int, maxCalls: Int? = nil, stall: Double? = nil) -> Step {
        let settings = bench.settings
        let seconds = settings.printSeconds
        let tag = "stream-\(tool.name)-\(rate)" + (stall == nil ? "" : "-stalled")
        let errors = bench.log.processLog(tag + ".err")
        let output = OutputFile(path: bench.sink + "/" + tag + ".out")
        defer { try? FileManager.default.removeItem(atPath: output.path) }
        var step = Step()
        step.isDisturbed = !KernelObjects.foreignSyscallProbes().isEmpty

        var arguments = [String(rate), String(seconds)]
        if let maxCalls { arguments.append(String(maxCalls)) }
        let command = bench.workload(bench.programs.getppidRate, arguments)
        guard let workload = try? Subprocess(command.executable, command.arguments, input: .pipe, output: .pipe,
                                             error: .file(errors, append: true), timeout: settings.timeout) else {
            step.failure = "workload did not start"
            return step
        }
        let workloadOutput = LineReader(descriptor: workload.output ?? -1)
        guard let pidLine = workloadOutput.firstLine(until: .after(10), where: { $0.hasPrefix("pid ") }),
              let workloadPID = Int(pidLine.dropFirst(4)) else {
            workload.closeInput()
            workload.stop(grace: 5)
            step.failure = "workload did not start"
            return step
        }

        var started: StreamingTool?
        switch tool.start(workloadPID: workloadPID, output: output, errors: errors) {
        case let .success(running): started = running
        case let .failure(failure): step.failure = failure.description
        }
        let startTicks = started.flatMap { ProcFS.cpuTicks($0.process.pid) }
        if let started {
            step.isDisturbed = step.isDisturbed || !KernelObjects.foreignSyscallProbes(excluding: started.process.pid).isEmpty
            started.beginRun(seconds: seconds)
            workload.write("g")
        }
        // Without the byte it reads end of file and exits at once.
        workload.closeInput()
        if let started, let stall {
            pause(0.3)
            started.process.signal(SIGSTOP)
            pause(stall)
            started.process.signal(SIGCONT)
            bench.log.log("  (\(tool.name) pid \(started.process.pid) stopped for \(stall) s)")
        }
        let result = workloadOutput.rest(until: .after(seconds + 30)).last ?? ""
        let workloadEnd = workload.stop(grace: 5).termination
        // "calls C ns T rate R", C exact.
        let words = result.split(separator: " ")
        if step.failure == nil, words.count == 6, words[0] == "calls", let calls = Int(words[1]), let ns = Double(words[3]),
           let achieved = Double(words[5]) {
            step.calls = calls
            step.seconds = ns / 1e9
            step.achievedRate = achieved
        } else if step.failure == nil {
            step.failure = "workload failed (\(workloadEnd))"
        }

        if let started {
            if let failure = started.drain(seconds: seconds), step.failure == nil { step.failure = failure.description }
            let endTicks = ProcFS.cpuTicks(started.process.pid)
            let ended = started.stop()
            if !ended.isSuccess, step.failure == nil { step.failure = "\(tool.name) ended with \(ended)" }
            if let startTicks, let endTicks {
                step.cpuSeconds = Double(endTicks - startTicks) / ProcFS.clockTicksPerSecond
            }
            let counted = output.countLines(prefix: String(workloadPID))
            step.lines = counted.count
            step.lost = started.lostRecords(otherOutput: counted.others)
            // Keep what is not an event line (attach messages, warnings) in the logs.
            FileIO.append(counted.others.prefix(50).map { $0 + "\n" }.joined(), toFile: bench.log.processLog(tag))
        }
        bench.log.log("  \(tool.name) rate \(rate)/s" + (stall.map { " (reader stopped \($0) s)" } ?? "")
            + ": calls \(text(step.calls)) in \(step.seconds.map { String(format: "%.3f", $0) } ?? "n/a") s "
            + "(achieved \(step.achievedRate.map { String(Int($0)) } ?? "n/a")/s), lines \(text(step.lines)), "
            + "lost \(text(step.lost)), consumer CPU \(step.cpuSeconds.map { String(format: "%.2f", $0) } ?? "n/a") s"
            + (step.failure.map { ", FAILED: \($0)" } ?? "") + (step.isDisturbed ? " (OTHER SYSCALL PROBES ATTACHED)" : ""))
        return step
    }
}
