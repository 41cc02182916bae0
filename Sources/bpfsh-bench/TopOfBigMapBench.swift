import Foundation
import ProcessKit

/// Top 20 of a 1,000,000-key map: a `count<u32>` map of 1,100,000 entries filled with
/// 1,000,000 distinct keys (a C global incremented per getppid of bench/getppid_rate),
/// then `time print h top 20`; bpfsh's own elapsed time and how much its peak RSS
/// (VmHWM) grew during the print.
struct TopOfBigMapBench {
    let bench: Bench

    static let keys = 1_000_000

    struct Figures {
        var ms: Double?
        var hwmGrowthMB: Double?
        /// Calls the workload made (each a key), and rows `top 20` printed.
        var calls: Int?
        var rowsShown: Int?
        /// `print h` of all of it (streamed): bpfsh's time and its VmHWM growth.
        var fullMs: Double?
        var fullHWMGrowthMB: Double?
    }

    func measure() -> Figures {
        var figures = Figures()
        let errors = bench.log.processLog("bigmap-workload")
        let command = bench.workload(bench.programs.getppidRate, ["0", String(bench.settings.timeout), String(Self.keys)])
        guard let workload = try? Subprocess(command.executable, command.arguments, input: .pipe, output: .pipe,
                                             error: .file(errors, append: true), timeout: bench.settings.timeout) else {
            return figures
        }
        defer { workload.stop(grace: 5) }
        // Without the byte it reads end of file and exits without a call.
        defer { workload.closeInput() }
        let workloadOutput = LineReader(descriptor: workload.output ?? -1)
        guard let pidLine = workloadOutput.firstLine(until: .after(10), where: { $0.hasPrefix("pid ") }),
              let workloadPID = Int(pidLine.dropFirst(4)),
              let session = try? BPFShSession(bench: bench, tag: "bigmap") else { return figures }
        defer {
            let ended = session.quit()
            if !ended.isSuccess { bench.log.say("bigmap: bpfsh \(ended) (see \(bench.settings.logs)/bigmap.log)") }
        }
        // One key per call: a global the probe counts under, then increments (one
        // thread of one process reaches it, so no atomics are needed).
        guard session.send("map h count<u32> size \(Self.keys + Self.keys / 10)"),
              session.send("c { u32 bench_seq; }"),
              session.probe("probe \(Bench.tracepoint) { if (pid() == \(workloadPID)) { count(h, bench_seq); bench_seq++; } }")
                != nil else {
            bench.log.say("bigmap: the probe did not attach (see \(bench.settings.logs)/bigmap.log)")
            return figures
        }
        workload.write("g")
        // "calls C ns T rate R", C exact.
        let result = workloadOutput.rest(until: .after(bench.settings.timeout)).last ?? ""
        let words = result.split(separator: " ")
        figures.calls = words.count == 6 && words[0] == "calls" ? Int(words[1]) : nil
        let pid = session.process.pid
        let before = ProcFS.statusKilobytes(pid, "VmHWM")
        guard let top = session.timed("print h top 20") else { return figures }
        let after = ProcFS.statusKilobytes(pid, "VmHWM")
        figures.ms = top.ms
        if let before, let after { figures.hwmGrowthMB = Double(after - before) / 1024 }
        figures.rowsShown = top.answer.lazy.compactMap(Self.rowCount(mapLine:)).first
        bench.log.log("bigmap: \(figures.calls.map(String.init) ?? "n/a") calls; print h top 20 \(top.ms.oneDecimal) ms "
            + "(\(figures.rowsShown.map(String.init) ?? "no") rows), VmHWM \(before ?? 0) -> \(after ?? 0) kB")
        // The whole map, after the top: its growth is over what the top already took.
        guard let full = session.timed("print h") else { return figures }
        let afterFull = ProcFS.statusKilobytes(pid, "VmHWM")
        figures.fullMs = full.ms
        if let after, let afterFull { figures.fullHWMGrowthMB = Double(afterFull - after) / 1024 }
        bench.log.log("bigmap: print h (all) \(full.ms.oneDecimal) ms, VmHWM \(after ?? 0) -> \(afterFull ?? 0) kB")
        return figures
    }

    private static func rowCount(mapLine line: String) -> Int? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
              object["type"] as? String == "map" else { return nil }
        return (object["rows"] as? [Any])?.count
    }
}
