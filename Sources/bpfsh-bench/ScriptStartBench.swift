import Foundation
import ProcessKit

/// One-probe script start -> attached -> exit: what a user waits for when a script
/// with one map and one probe runs to its end. bpfsh runs a script file that declares a
/// map, attaches one probe and quits; the C loader is `ref count` with stdin at end of
/// file, so that it exits right after attaching (open, load, attach, read the map,
/// detach, exit). The two take turns, and each time is exec to reaped.
struct ScriptStartBench {
    let bench: Bench

    static let script = """
        map c count<comm_t>
        probe \(Bench.tracepoint) { count(c, comm()); }
        quit

        """

    struct Figures {
        var bpfshMs: Double?
        var referenceMs: Double?
        /// The first bpfsh run, not counted (it fills the object cache, as a user's
        /// first run of a script does).
        var firstRunMs: Double?
    }

    func measure(includingBPFSh: Bool) -> Figures {
        var figures = Figures()
        let path = bench.temporary + "/one-probe.bpfsh"
        try? Self.script.write(toFile: path, atomically: true, encoding: .utf8)
        let logFile = bench.log.processLog("script-start")
        if includingBPFSh { figures.firstRunMs = runBPFSh(path, logFile: logFile) }
        var own: [Double] = [], reference: [Double] = []
        for index in 0..<bench.settings.scriptRuns {
            // Alternate which goes first: the machine drifts.
            let order = index % 2 == 0 ? [true, false] : [false, true]
            for isBPFSh in order {
                if isBPFSh {
                    if includingBPFSh, let ms = runBPFSh(path, logFile: logFile) { own.append(ms) }
                } else if let ms = runReference(logFile: logFile) {
                    reference.append(ms)
                }
            }
        }
        bench.log.log("script start->attached->exit ms: bpfsh \(own.logText) (first run "
            + "\(figures.firstRunMs?.oneDecimal ?? "n/a")); C loader \(reference.logText)")
        if own.count == bench.settings.scriptRuns { figures.bpfshMs = Statistics.median(own) }
        if reference.count == bench.settings.scriptRuns { figures.referenceMs = Statistics.median(reference) }
        return figures
    }

    /// `bpfsh --json SCRIPT`; counts only when it exits 0 and printed the probe's status.
    private func runBPFSh(_ script: String, logFile: String) -> Double? {
        let output = bench.temporary + "/script-run.out"
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        guard let process = try? Subprocess(bench.settings.bpfsh, ["--json", script], environment: env,
                                            output: .file(output, append: false), error: .sameAsOutput,
                                            timeout: bench.settings.timeout),
              let ended = process.wait(timeout: bench.settings.timeout + 5) else { return nil }
        let elapsed = Monotonic.milliseconds(since: process.startedAt)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        FileIO.append(text + "[bench] bpfsh: \(ended), \(elapsed.oneDecimal) ms\n", toFile: logFile)
        let attached = text.split(separator: "\n").contains {
            if case .attached = BPFShLine.parseJSON(String($0)) { return true }
            return false
        }
        return ended.isSuccess && attached ? elapsed : nil
    }

    private func runReference(logFile: String) -> Double? {
        guard let process = try? Subprocess(bench.programs.ref, ["count"], input: .null,
                                            output: .file(logFile, append: true), error: .sameAsOutput,
                                            timeout: bench.settings.timeout),
              let ended = process.wait(timeout: bench.settings.timeout + 5) else { return nil }
        let elapsed = Monotonic.milliseconds(since: process.startedAt)
        return ended.isSuccess ? elapsed : nil
    }
}
