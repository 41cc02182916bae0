import Foundation
import ProcessKit

/// The metrics endpoint under a scraper: a session with a 10,000-key counter and a
/// histogram serves them (`serve metrics 0`); curl scrapes it 21 times on one connection
/// (median of its own transfer times), then 100 scrapes at once (wall time, all 200).
struct MetricsBench {
    let bench: Bench
    static let keys = 10_000

    struct Figures {
        var scrapeMs: Double?
        var scrapeBytes: Int?
        var concurrentMs: Double?
        var concurrentAnswered: Int?
    }

    func measure() -> Figures {
        var figures = Figures()
        guard let session = try? BPFShSession(bench: bench, tag: "metrics") else { return figures }
        defer { session.quit() }
        let pid = getpid()
        _ = session.answer(to: "map m count<u32> size \(Self.keys * 2)") { $0.contains("\"map\"") }
        _ = session.answer(to: "map lat hist") { $0.contains("\"map\"") }
        _ = session.answer(to: "c { u32 bench_n; }") { $0.contains("\"type\":\"status\"") }
        guard session.probe("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) { u32 k = __sync_fetch_and_add(&bench_n, 1); count(m, k); hist(lat, k); } }") != nil,
              let served = session.answer(to: "serve metrics 0", endingWith: { $0.contains("serving metrics at") }),
              let url = served.last.flatMap(Self.url(in:)) else {
            bench.log.say("metrics: the session did not serve (see logs/metrics.log)")
            return figures
        }
        for _ in 0..<Self.keys { _ = getppid() }
        guard let sequential = try? Subprocess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}\n",
                                                                     "\(url)?n=[1-21]"], timeout: bench.settings.timeout),
              sequential.termination?.isSuccess == true else {
            bench.log.say("metrics: curl failed (make deps installs it)")
            return figures
        }
        let samples = sequential.output.split(separator: "\n").compactMap { line -> (Double, Int)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let seconds = Double(parts[0]), let bytes = Int(parts[1]) else { return nil }
            return (seconds * 1000, bytes)
        }
        figures.scrapeMs = Statistics.median(samples.map(\.0))
        figures.scrapeBytes = samples.last?.1
        let started = Monotonic.now()
        if let storm = try? Subprocess.run("/usr/bin/curl", ["-s", "--parallel", "--parallel-max", "100", "-o", "/dev/null",
                                                             "-w", "%{http_code}\n", "\(url)?c=[1-100]"], timeout: bench.settings.timeout) {
            figures.concurrentMs = Monotonic.milliseconds(since: started)
            figures.concurrentAnswered = storm.output.split(separator: "\n").filter { $0 == "200" }.count
        }
        return figures
    }

    static func url(in line: String) -> String? {
        guard let start = line.range(of: "http://") else { return nil }
        return String(line[start.lowerBound...].prefix { $0 != "\"" && !$0.isWhitespace })
    }
}
