import Foundation
import ProcessKit

/// The flame graph of 100,000 distinct stacks: `bpfsh SCRIPT` whose script is
/// `time flame IN.folded OUT.svg -f`, timed from exec to exit, with its peak RSS and the
/// SVG's size; and flamegraph.pl on the same input when BENCH_FLAMEGRAPH_PL names one
/// (it is no Debian package, and the benchmark does not download it).
struct FlameBench {
    let bench: Bench

    /// What one tool's render cost.
    struct Render {
        var seconds: Double?
        var peakMB: Double?
        var svgMB: Double?
    }

    struct Figures {
        var bpfsh = Render()
        /// bpfsh's own `time flame` figure (the render alone, without start and exit).
        var bpfshOwnSeconds: Double?
        var flamegraphPL: Render?
        var input = ""
        var inputMB: Double?
    }

    func measure() -> Figures {
        var figures = Figures()
        let input: String
        do {
            input = try SyntheticFoldedStacks().write(into: bench.settings.out)
        } catch {
            bench.log.say("flame: \(error)")
            return figures
        }
        figures.input = input
        figures.inputMB = Self.megabytes(ofFile: input)
        bench.log.say("flame: \(input) (\(figures.inputMB?.oneDecimal ?? "?") MB), bpfsh \(bench.settings.flameRuns) runs")
        figures.bpfsh = bpfsh(input, own: &figures.bpfshOwnSeconds)
        if let script = bench.settings.flamegraphPL {
            bench.log.say("flame: flamegraph.pl \(script)")
            figures.flamegraphPL = flamegraphPL(script, input)
        }
        return figures
    }

    /// Median wall time of `flameRuns` runs, the highest peak RSS, the SVG's size.
    private func bpfsh(_ input: String, own: inout Double?) -> Render {
        let svg = bench.temporary + "/flame-bpfsh.svg"
        let script = bench.temporary + "/flame.bpfsh"
        try? "time flame \(input) \(svg) -f\nquit\n".write(toFile: script, atomically: true, encoding: .utf8)
        let logFile = bench.log.processLog("flame-bpfsh")
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        var seconds: [Double] = [], ownSeconds: [Double] = [], peaks: [Double] = []
        for _ in 0..<max(1, bench.settings.flameRuns) {
            let output = bench.temporary + "/flame-bpfsh.out"
            try? FileManager.default.removeItem(atPath: svg)
            guard let process = try? Subprocess(bench.settings.bpfsh, ["--json", script], environment: env,
                                                output: .file(output, append: false), error: .sameAsOutput,
                                                timeout: bench.settings.timeout),
                  let ended = process.wait(timeout: bench.settings.timeout + 5) else { return Render() }
            let elapsed = Monotonic.milliseconds(since: process.startedAt) / 1000
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            FileIO.append(text + "[bench] bpfsh: \(ended), \(elapsed) s, peak \(process.peakRSSKilobytes ?? 0) kB\n",
                          toFile: logFile)
            let renderMs = text.split(separator: "\n").lazy.compactMap { line -> Double? in
                if case let .timed("flame", ms) = BPFShLine.parseJSON(String(line)) { return ms }
                return nil
            }.first
            guard ended.isSuccess, let renderMs, FileManager.default.fileExists(atPath: svg) else {
                bench.log.say("flame: bpfsh run failed (\(ended)); see \(logFile)")
                return Render()
            }
            seconds.append(elapsed)
            ownSeconds.append(renderMs / 1000)
            if let peak = process.peakRSSKilobytes { peaks.append(Double(peak) / 1024) }
        }
        own = Statistics.median(ownSeconds)
        let render = Render(seconds: Statistics.median(seconds), peakMB: peaks.max(), svgMB: Self.megabytes(ofFile: svg))
        bench.log.log("flame: bpfsh s \(seconds.map { String(format: "%.3f", $0) }.joined(separator: " ")); "
            + "own (time flame) s \(ownSeconds.map { String(format: "%.3f", $0) }.joined(separator: " ")); "
            + "peak MB \(peaks.logText); SVG \(render.svgMB?.oneDecimal ?? "n/a") MB")
        return render
    }

    /// `perl SCRIPT IN.folded > OUT-pl.svg`, once (it takes about 20 s on this input).
    private func flamegraphPL(_ script: String, _ input: String) -> Render {
        let svg = bench.temporary + "/flame-pl.svg"
        let logFile = bench.log.processLog("flame-flamegraph-pl")
        // flamegraph.pl took 22.4 s on this input elsewhere: allow more than the usual minute.
        let timeout = max(bench.settings.timeout, 180)
        guard let process = try? Subprocess("perl", [script, input], output: .file(svg, append: false),
                                            error: .file(logFile, append: false), timeout: timeout),
              let ended = process.wait(timeout: timeout + 5) else { return Render() }
        let elapsed = Monotonic.milliseconds(since: process.startedAt) / 1000
        let render = Render(seconds: elapsed, peakMB: process.peakRSSKilobytes.map { Double($0) / 1024 },
                            svgMB: Self.megabytes(ofFile: svg))
        bench.log.log("flame: flamegraph.pl \(ended), \(elapsed) s, peak \(render.peakMB?.oneDecimal ?? "n/a") MB, "
            + "SVG \(render.svgMB?.oneDecimal ?? "n/a") MB")
        guard ended.isSuccess else {
            bench.log.say("flame: flamegraph.pl failed (\(ended)); see \(logFile)")
            return Render()
        }
        return render
    }

    static func megabytes(ofFile path: String) -> Double? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64).map { Double($0) / 1_048_576 }
    }
}
