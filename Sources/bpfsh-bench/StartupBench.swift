import Foundation
import ProcessKit

/// Enter -> attached: bpfsh's own `probe` timings (warm, cached, cold cache) and the
/// references' start-ups.
struct StartupBench {
    let bench: Bench

    struct BPFShFigures {
        /// Median of bpfsh's own timing over probes that differ by a constant (cache misses).
        var warmMs: Double?
        /// Median over the first probe's text sent again (cache hits).
        var cachedMs: Double?
        /// Wall time from starting bpfsh with an empty XDG_CACHE_HOME to the status.
        var coldMs: Double?
        /// bpfsh's own timing of that cold probe.
        var coldOwnMs: Double?
        /// Process start to the first warm probe attached.
        var warmStartMs: Double?
    }

    /// `ref count` from exec to "ready" (open, load, attach), median of `starts`; and
    /// its VmRSS once attached (MB).
    func reference() -> (startMs: Double?, rssMB: Double?) {
        var times: [Double] = []
        var rss: Double?
        for index in 0..<bench.settings.starts {
            let logFile = bench.log.processLog("ref-start")
            guard let process = try? Subprocess(bench.programs.ref, ["count"], input: .pipe, output: .pipe,
                                                error: .file(logFile, append: true), timeout: bench.settings.timeout)
            else { continue }
            if LineReader(descriptor: process.output ?? -1).firstLine(until: .after(30), where: { $0 == "ready" }) != nil {
                times.append(Monotonic.milliseconds(since: process.startedAt))
                if index == 0 { rss = ProcFS.statusKilobytes(process.pid, "VmRSS").map { Double($0) / 1024 } }
            }
            process.closeInput()
            process.stop(grace: 20)
        }
        bench.log.log("C ref start->ready ms: \(times.logText); VmRSS once attached: \(rss?.oneDecimal ?? "n/a") MB")
        return (Statistics.median(times), rss)
    }

    /// bpftrace from start to exit of a one-probe program that exits after 1 ms.
    func bpftrace() -> Double? {
        var times: [Double] = []
        let logFile = bench.log.processLog("bpftrace-start")
        for _ in 0..<bench.settings.starts {
            guard let process = try? Subprocess(
                "bpftrace", ["-e", "\(Bench.tracepoint) { @[comm] = count(); } interval:ms:1 { exit(); }"],
                output: .file(logFile, append: true), error: .sameAsOutput, timeout: bench.settings.timeout)
            else { continue }
            if process.wait(timeout: bench.settings.timeout + 5)?.isSuccess ?? false {
                times.append(Monotonic.milliseconds(since: process.startedAt))
            }
        }
        bench.log.log("bpftrace start->exit ms: \(times.logText)")
        return Statistics.median(times)
    }

    func bpfsh() -> BPFShFigures {
        var figures = BPFShFigures()
        let log = bench.log
        // A constant unique to this run, so that earlier runs' objects are not reused.
        let base = 1_000_000 + (Int(Date().timeIntervalSince1970) % 100_000) * 100
        var warm: [Double] = [], seenWarm: [Double] = [], cached: [Double] = [], seenCached: [Double] = []
        if let session = try? BPFShSession(bench: bench, tag: "bpfsh-warm"), session.send("map c count<comm_t>") {
            let body = { (index: Int) in "{ count(c, comm()); if (pid() == \(base + index)) return 0; }" }
            for index in 1...max(1, bench.settings.probes) {
                guard let probe = session.probe("probe \(Bench.tracepoint) \(body(index))") else { break }
                if index == 1 { figures.warmStartMs = Monotonic.milliseconds(since: session.process.startedAt) }
                warm.append(probe.timing.totalMs)
                seenWarm.append(probe.seenMs)
            }
            if warm.count == bench.settings.probes {
                for _ in 1...max(1, bench.settings.probes) {
                    guard let probe = session.probe("probe \(Bench.tracepoint) \(body(1))") else { break }
                    cached.append(probe.timing.totalMs)
                    seenCached.append(probe.seenMs)
                }
            }
            session.quit(grace: 60)
        }
        log.log("bpfsh warm ms: \(warm.logText) (harness saw \(seenWarm.logText))")
        log.log("bpfsh cached ms: \(cached.logText) (harness saw \(seenCached.logText))")
        log.log("bpfsh process start -> first probe attached, warm cache: \(figures.warmStartMs?.oneDecimal ?? "n/a") ms")
        if warm.count == bench.settings.probes { figures.warmMs = Statistics.median(warm) }
        if cached.count == bench.settings.probes { figures.cachedMs = Statistics.median(cached) }

        // Cold: bpfsh's own number may leave out work done before the probe (generating
        // vmlinux.h, the precompiled prelude), so the row is the wall time from starting
        // bpfsh to its status.
        let cold = bench.temporary + "/cold-cache"
        try? FileManager.default.createDirectory(atPath: cold, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: cold) }
        if let session = try? BPFShSession(bench: bench, tag: "bpfsh-cold", environment: ["XDG_CACHE_HOME": cold]) {
            if session.send("map c count<comm_t>"),
               let probe = session.probe("probe \(Bench.tracepoint) { count(c, comm()); if (pid() == \(base + 999)) return 0; }") {
                figures.coldMs = Monotonic.milliseconds(since: session.process.startedAt)
                figures.coldOwnMs = probe.timing.totalMs
                log.log("bpfsh cold cache: start -> attached \(figures.coldMs?.oneDecimal ?? "") ms; bpfsh reported "
                    + "\(probe.timing.totalMs.oneDecimal) ms")
            } else {
                log.say("bpfsh cold cache: probe did not attach (see \(bench.settings.logs)/bpfsh-cold.log)")
            }
            session.quit(grace: 60)
        }
        return figures
    }
}
