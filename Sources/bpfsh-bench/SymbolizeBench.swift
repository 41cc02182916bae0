import Foundation
import ProcessKit

/// Symbolizing 10,000 user stacks from 50 processes, warm: bpfsh counts
/// `ustack()` of bench/ustack_procs's getppid calls, the workload's processes exit, then
/// `time print us` runs once cold (symbol tables loaded) and three times warm.
struct SymbolizeBench {
    let bench: Bench

    static let processes = 50
    static let stacksPerProcess = 200
    /// The workload's comm (its file name).
    static let command = "ustack_procs"

    struct Figures {
        var coldMs: Double?
        /// Median of three warm prints.
        var warmMs: Double?
        var stacks: PrintedStacks?
    }

    func measure() -> Figures {
        var figures = Figures()
        guard let session = try? BPFShSession(bench: bench, tag: "symbols") else { return figures }
        defer { finish(session) }
        // 10,000 distinct stacks in the default 16,384 slots lose a quarter to collisions;
        // 256k slots (about 260 MB of kernel memory) keep all but about 2 %.
        guard session.send("set stack-slots 256k"),
              session.send("map us count<ustack_t> size 20000"),
              session.probe("probe \(Bench.tracepoint) { if (streq(comm(), \"\(Self.command)\")) count(us, ustack()); }")
                != nil else {
            bench.log.say("symbols: the probe did not attach (see \(bench.settings.logs)/symbols.log)")
            return figures
        }
        let logFile = bench.log.processLog("symbols-workload")
        guard let workload = try? Subprocess(bench.programs.ustackProcs, [String(Self.processes), String(Self.stacksPerProcess)],
                                             output: .file(logFile, append: false), error: .sameAsOutput,
                                             timeout: bench.settings.timeout),
              workload.wait(timeout: bench.settings.timeout + 5)?.isSuccess ?? false else {
            bench.log.say("symbols: the workload failed (see \(logFile))")
            return figures
        }
        // Every process has exited: what bpfsh names now comes from what it kept.
        pause(0.2)
        guard let cold = session.timed("print us") else { return figures }
        figures.coldMs = cold.ms
        var warm: [Double] = []
        var lastAnswer: [String] = []
        for _ in 0..<3 {
            guard let run = session.timed("print us") else { return figures }
            warm.append(run.ms)
            lastAnswer = run.answer
        }
        figures.warmMs = Statistics.median(warm)
        figures.stacks = lastAnswer.lazy.compactMap(PrintedStacks.init(mapLine:)).first
        bench.log.log("symbols: cold \(cold.ms.oneDecimal) ms, warm \(warm.logText) ms; "
            + (figures.stacks?.summary ?? "no map in the answer"))
        return figures
    }

    private func finish(_ session: BPFShSession) {
        let ended = session.quit()
        if !ended.isSuccess { bench.log.say("symbols: bpfsh \(ended) (see \(bench.settings.logs)/symbols.log)") }
    }
}

/// What `print us` showed of a `count<ustack_t>` map, in JSON:
/// `{"type":"map","rows":[{"key":["getppid+0x7 (libc.so.6)","f3+0x1d (ustack_procs)",…],"value":1},…]}`.
struct PrintedStacks {
    /// Rows holding a stack (not bpfsh's `[no stack: …]` placeholder).
    var stacks = 0
    /// Rows whose stack the kernel could not record (`[no stack: …]`).
    var failedStacks = 0
    var frames = 0
    /// Frames shown as an address (`0x7f…`, `… mappings unknown`) instead of a name.
    var unnamedFrames = 0
    /// Frames naming the workload's own functions (f0..f7, next_step).
    var workloadFrames = 0
    /// A few unnamed frames, for the log.
    var unnamedExamples: [String] = []

    init?(mapLine line: String) {
        guard line.hasPrefix("{"), let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
              object["type"] as? String == "map", let rows = object["rows"] as? [[String: Any]] else { return nil }
        for row in rows {
            guard let frames = row["key"] as? [String] else { continue }
            if frames.first?.hasPrefix("[no stack") ?? true {
                failedStacks += 1
                continue
            }
            stacks += 1
            self.frames += frames.count
            for frame in frames {
                if frame.hasPrefix("0x") || frame.contains("unknown") {
                    unnamedFrames += 1
                    if unnamedExamples.count < 3 { unnamedExamples.append(frame) }
                } else if Self.isWorkloadFrame(frame) {
                    workloadFrames += 1
                }
            }
        }
    }

    private static func isWorkloadFrame(_ frame: String) -> Bool {
        frame.hasPrefix("next_step+") || (frame.count > 2 && frame.first == "f" && frame.dropFirst().first?.isNumber == true
            && frame.dropFirst(2).first == "+")
    }

    var summary: String {
        "\(stacks) stacks (\(failedStacks) rows [no stack]), \(frames) frames, \(unnamedFrames) unnamed "
            + "(e.g. \(unnamedExamples.joined(separator: " | "))), \(workloadFrames) naming f0..f7/next_step"
    }
}
