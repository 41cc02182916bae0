import Foundation
import ProcessKit

/// Start to quit (wall time with `quit` on stdin) and memory: idle, with one probe,
/// and peak.
struct QuitAndMemoryBench {
    let bench: Bench

    struct Figures {
        var quitMs: Double?
        /// VmRSS 1 s after start, stdin open, nothing declared.
        var idleRSSMB: Double?
        var idleHWMMB: Double?
        /// VmRSS with one map and one probe attached, 0.5 s after the probe.
        var oneProbeRSSMB: Double?
        /// Peak RSS of a `quit` run (wait4's ru_maxrss).
        var peakMB: Double?
    }

    /// Wall time of `printf 'quit\n' | COMMAND` (stdout and stderr to a log), median of
    /// `quits`, and the peak RSS of the first run; nil if a run failed.
    func quitTimes(_ tag: String, _ executable: String, _ arguments: [String]) -> (ms: Double?, peakMB: Double?) {
        var times: [Double] = []
        var peak: Double?
        let logFile = bench.log.processLog(tag + "-quit")
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for _ in 0..<bench.settings.quits {
            guard let process = try? Subprocess(executable, arguments, environment: env, input: .pipe,
                                                output: .file(logFile, append: true), error: .sameAsOutput,
                                                timeout: bench.settings.timeout) else { return (nil, nil) }
            process.write("quit\n")
            process.closeInput()
            let ended = process.wait(timeout: bench.settings.timeout + 5)
            let elapsed = Monotonic.milliseconds(since: process.startedAt)
            guard ended?.isSuccess ?? false else {
                bench.log.say("\(tag): start-to-quit run ended with \(ended?.description ?? "a timeout") (see \(logFile))")
                return (nil, nil)
            }
            times.append(elapsed)
            if peak == nil { peak = process.peakRSSKilobytes.map { Double($0) / 1024 } }
        }
        bench.log.log("\(tag) start to quit ms: \(times.logText); peak RSS \(peak?.oneDecimal ?? "n/a") MB")
        return (Statistics.median(times), peak)
    }

    func bpfsh() -> Figures {
        var figures = Figures()
        let quit = quitTimes("bpfsh", bench.settings.bpfsh, [])
        figures.quitMs = quit.ms
        figures.peakMB = quit.peakMB
        // Idle: stdin an open pipe, 1 s for the background compiler warm-up.
        guard let session = try? BPFShSession(bench: bench, tag: "bpfsh-idle") else { return figures }
        pause(1)
        let pid = session.process.pid
        figures.idleRSSMB = ProcFS.statusKilobytes(pid, "VmRSS").map { Double($0) / 1024 }
        figures.idleHWMMB = ProcFS.statusKilobytes(pid, "VmHWM").map { Double($0) / 1024 }
        if session.send("map c count<comm_t>"), session.probe("probe \(Bench.tracepoint) { count(c, comm()); }") != nil {
            pause(0.5)
            figures.oneProbeRSSMB = ProcFS.statusKilobytes(pid, "VmRSS").map { Double($0) / 1024 }
        }
        let ended = session.quit()
        if !ended.isSuccess { bench.log.say("bpfsh idle: \(ended) (see \(bench.settings.logs)/bpfsh-idle.log)") }
        bench.log.log("bpfsh start to quit median \(figures.quitMs?.oneDecimal ?? "n/a") ms; idle VmRSS "
            + "\(figures.idleRSSMB?.oneDecimal ?? "n/a") MB, VmHWM \(figures.idleHWMMB?.oneDecimal ?? "n/a") MB; "
            + "with one probe \(figures.oneProbeRSSMB?.oneDecimal ?? "n/a") MB; peak RSS of 'quit' run "
            + "\(figures.peakMB?.oneDecimal ?? "n/a") MB")
        return figures
    }

    /// bpftrace's `BEGIN { exit(); }`: start to exit and peak RSS.
    func bpftrace() -> (quitMs: Double?, peakMB: Double?) {
        let result = quitTimes("bpftrace", "bpftrace", ["-e", "BEGIN { exit(); }"])
        return (result.ms, result.peakMB)
    }
}
