import Foundation
import ProcessKit

/// Leaving a session with many probes: 20 probes on 20 syscall tracepoints, and one
/// wildcard probe over every `sys_enter_*` (about 360 points). Each way out is timed in a
/// session of its own: `quit` (written to exit), `drop` of every probe (written to the
/// last answer), SIGTERM (sent to exit). Medians of `runs`.
struct ManyProbesQuitBench {
    let bench: Bench

    static let runs = 3
    static let probeCount = 20

    enum Ending: String, CaseIterable {
        case quit, drop, sigterm
    }

    /// Milliseconds per ending, for one set of probes.
    struct Timings {
        var ms: [Ending: Double] = [:]
        /// Points the probes attached to, as bpfsh said.
        var points: Int?
    }

    struct Figures {
        var twentyProbes = Timings()
        var wildcard = Timings()
        var tracepoints: [String] = []
    }

    func measure() -> Figures {
        var figures = Figures()
        figures.tracepoints = Self.syscallTracepoints(count: Self.probeCount)
        let twenty = figures.tracepoints.map { "probe tracepoint:syscalls:\($0) { }" }
        figures.twentyProbes = timings(tag: "quit-20", probes: twenty)
        figures.wildcard = timings(tag: "quit-wildcard", probes: ["probe tracepoint:syscalls:sys_enter_* { }"])
        return figures
    }

    /// sys_enter_getppid and the first others in name order that this kernel has.
    static func syscallTracepoints(count: Int) -> [String] {
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/kernel/tracing/events/syscalls")) ?? [])
            .filter { $0.hasPrefix("sys_enter_") && $0 != "sys_enter_getppid" }.sorted()
        return ["sys_enter_getppid"] + all.prefix(count - 1)
    }

    private func timings(tag: String, probes: [String]) -> Timings {
        var timings = Timings()
        for ending in Ending.allCases {
            var samples: [Double] = []
            for run in 0..<Self.runs {
                guard let (ms, points) = measure(ending, tag: "\(tag)-\(ending.rawValue)-\(run)", probes: probes) else { break }
                samples.append(ms)
                timings.points = points
            }
            bench.log.log("\(tag) \(ending.rawValue) ms: \(samples.logText) (\(timings.points ?? 0) points)")
            if samples.count == Self.runs { timings.ms[ending] = Statistics.median(samples) }
        }
        return timings
    }

    /// One session: attach `probes`, then leave by `ending`; the time it took and the
    /// points attached, nil when something failed.
    private func measure(_ ending: Ending, tag: String, probes: [String]) -> (ms: Double, points: Int)? {
        guard let session = try? BPFShSession(bench: bench, tag: tag) else { return nil }
        var points = 0
        for probe in probes {
            guard let attached = session.probe(probe) else {
                bench.log.say("\(tag): '\(probe)' did not attach (see \(bench.settings.logs)/\(tag).log)")
                session.quit()
                return nil
            }
            points += attached.timing.programs ?? 1
        }
        let start = Monotonic.now()
        switch ending {
        case .quit:
            session.send("quit")
            session.process.closeInput()
            guard session.process.wait(timeout: bench.settings.timeout) != nil else { break }
            let ms = Monotonic.milliseconds(since: start)
            let ended = session.quit()
            return ended.isSuccess ? (ms, points) : nil
        case .drop:
            for index in 1...probes.count {
                // Waiting for each answer: the last one comes after every earlier drop.
                guard session.answer(to: "drop p\(index)", endingWith: { $0.contains("dropped p\(index)") }) != nil else {
                    session.quit()
                    return nil
                }
            }
            let ms = Monotonic.milliseconds(since: start)
            // If drop hands the detaching to later, the wait shows up here: logged, not checked.
            let quitStart = Monotonic.now()
            let ended = session.quit()
            bench.log.log("\(tag): quit after the drops took \(Monotonic.milliseconds(since: quitStart).oneDecimal) ms")
            return ended.isSuccess ? (ms, points) : nil
        case .sigterm:
            session.process.signal(SIGTERM)
            guard session.process.wait(timeout: bench.settings.timeout) != nil else { break }
            let ms = Monotonic.milliseconds(since: start)
            session.quit()
            return (ms, points)
        }
        bench.log.say("\(tag): bpfsh did not exit within \(bench.settings.timeout) s")
        session.quit()
        return nil
    }
}
