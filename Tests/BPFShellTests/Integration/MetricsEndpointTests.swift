import Foundation
import ProcessKit
import Testing

/// `serve metrics` against the running kernel, scraped by curl, checked by promtool and
/// by a real Prometheus server on loopback.
@Suite(.serialized, .needsBPF)
struct MetricsEndpointTests {
    /// Writes of these sizes and 25 getppid calls, from a process with a known comm.
    static let workloadSource = """
    #include <fcntl.h>
    #include <unistd.h>
    int main(int argc, char **argv) {
        int calls = argc > 1 ? atoi(argv[1]) : 25;
        for (int i = 0; i < calls; i++) getppid();
        static char buffer[256];
        int fd = open("/dev/null", O_WRONLY);
        for (int i = 2; i < argc; i++) write(fd, buffer, atoi(argv[i]));
        close(fd);
        return 0;
    }
    """

    static func workload(_ name: String) throws -> TestProgram {
        try TestProgram(name, source: "#include <stdlib.h>\n" + workloadSource)
    }

    /// Every map kind, read at scrape time, in both formats; promtool accepts the scrape.
    @Test func everyMapKindIsServedAndPromtoolAcceptsIt() throws {
        try Capabilities.requireBPF()
        let program = try Self.workload("metricsload")
        defer { program.remove() }
        let leaks = LeakCheck()
        let shell = try ShellProcess(timeout: 120)
        shell.send("""
        map calls count<comm_t>
        map calls_all count
        map lat hist
        map sizes lhist(0, 100, 10)
        map by hist<comm_t>
        map st stats<comm_t>
        map lo min<comm_t>
        map last hash<u32, u64>
        map slots array<u64> size 4
        map ks count<kstack_t>
        probe tracepoint:syscalls:sys_enter_getppid { if (streq(comm(), "metricsload")) { count(calls, comm()); count(calls_all); count(ks, kstack()); set(slots, 2, 7); } }
        probe tracepoint:syscalls:sys_enter_write { if (streq(comm(), "metricsload")) { u64 n = args->count; hist(lat, n); lhist(sizes, n); hist_by(by, comm(), n); stats(st, comm(), n); min(lo, comm(), n); set(last, 1, n); } }
        serve metrics 0
        """)
        #expect(shell.waitForOutput("serving metrics at", timeout: 60), "\(shell.errors)")
        let url = try #require(HTTPFetch.servedURL(in: shell.output), "\(shell.output)")
        try program.run(["25", "1", "5", "15", "25", "50", "150"])
        let text = try HTTPFetch.get(url, accept: "text/plain")
        #expect(text.status == 200)
        #expect(text.contentType == "text/plain; version=0.0.4; charset=utf-8")
        let body = text.body
        for line in [
            "bpfsh_calls_total{comm=\"metricsload\"} 25", "bpfsh_calls_all_total 25",
            "# TYPE bpfsh_calls_total counter", "# TYPE bpfsh_lat histogram",
            "bpfsh_lat_bucket{le=\"1\"} 1", "bpfsh_lat_bucket{le=\"7\"} 2", "bpfsh_lat_bucket{le=\"15\"} 3",
            "bpfsh_lat_bucket{le=\"127\"} 5", "bpfsh_lat_bucket{le=\"255\"} 6", "bpfsh_lat_bucket{le=\"+Inf\"} 6", "bpfsh_lat_count 6",
            "bpfsh_sizes_bucket{le=\"-1\"} 0", "bpfsh_sizes_bucket{le=\"9\"} 2", "bpfsh_sizes_bucket{le=\"59\"} 5",
            "bpfsh_sizes_bucket{le=\"99\"} 5", "bpfsh_sizes_bucket{le=\"+Inf\"} 6",
            "bpfsh_by_bucket{comm=\"metricsload\",le=\"31\"} 4", "bpfsh_by_count{comm=\"metricsload\"} 6",
            "# TYPE bpfsh_st summary", "bpfsh_st_count{comm=\"metricsload\"} 6", "bpfsh_st_sum{comm=\"metricsload\"} 246",
            "bpfsh_st_min{comm=\"metricsload\"} 1", "bpfsh_st_max{comm=\"metricsload\"} 150",
            "bpfsh_lo{comm=\"metricsload\"} 1", "bpfsh_last{key=\"1\"} 150", "bpfsh_slots{index=\"2\"} 7",
            "bpfsh_ks_total 25", "bpfsh_session_probes_attached 2", "bpfsh_session_events_lost_total 0",
            "bpfsh_session_map_update_failures_total{map=\"calls\"} 0", "bpfsh_session_map_entries{map=\"calls\"} 1",
        ] {
            #expect(body.contains(line + "\n"), "missing '\(line)' in:\n\(body.split(separator: "\n").filter { !$0.contains("_bucket") }.joined(separator: "\n"))")
        }
        // promtool parses and lints the 0.0.4 text (names, suffixes, HELP, TYPE).
        let scrapeFile = try makeTemporaryDirectory(prefix: "bpfsh-scrape") + "/scrape.txt"
        defer { try? FileManager.default.removeItem(atPath: (scrapeFile as NSString).deletingLastPathComponent) }
        try body.write(toFile: scrapeFile, atomically: true, encoding: .utf8)
        let lint = try TimedProcess.run("/bin/sh", ["-c", "promtool check metrics < \(scrapeFile)"], timeout: 30)
        #expect(lint.status == 0, "promtool check metrics: \(lint.output)")
        // OpenMetrics when asked for (as Prometheus asks), ending in # EOF.
        let open = try HTTPFetch.get(url, accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
        #expect(open.contentType.hasPrefix("application/openmetrics-text; version=1.0.0"))
        #expect(open.body.hasSuffix("# EOF\n"), "\(open.body.suffix(200))")
        #expect(open.body.contains("# TYPE bpfsh_calls counter\n"))
        // Stacks only when asked: a second endpoint with `stacks` labels them, root first.
        shell.send("serve stop")
        shell.send("serve metrics 0 stacks --host lab1")
        #expect(shell.waitForOutput("serving metrics at", occurrences: 2, timeout: 30))
        let stacksURL = try #require(shell.output.components(separatedBy: "stopped serving").last.flatMap(HTTPFetch.servedURL(in:)))
        let stacks = try HTTPFetch.get(stacksURL)
        let stackLine = stacks.body.split(separator: "\n").first { $0.hasPrefix("bpfsh_ks_total{kstack=\"") }
        // At sys_enter the syscall has not begun: the stack ends in the tracing entry, no offsets.
        #expect(stackLine?.contains("bpfsh_ks_total{kstack=\"entry_SYSCALL_64_after_hwframe;do_syscall_64;") == true, "\(stackLine ?? "none")")
        #expect(stackLine?.hasSuffix(",host=\"lab1\"} 25") == true, "\(stackLine ?? "none")")
        #expect(try HTTPFetch.get(stacksURL.replacingOccurrences(of: "/metrics", with: "/nothing")).status == 404)
        shell.send("quit")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(leaks.leftovers(of: shell).isEmpty, "left in the kernel: \(leaks.leftovers(of: shell))")
    }

    /// Bad addresses and busy ports are clear errors, the session goes on; a hundred
    /// scrapes at once are all answered; a scrape racing `drop` of its map still answers;
    /// a client that stalls mid-request holds nothing up.
    @Test func badInputAndLoadLeaveTheSessionIntact() throws {
        try Capabilities.requireBPF()
        let program = try Self.workload("metricsrace")
        defer { program.remove() }
        let leaks = LeakCheck()
        let first = try ShellProcess(timeout: 120)
        first.send("""
        map calls count<comm_t>
        map keep count<comm_t>
        probe tracepoint:syscalls:sys_enter_getppid { if (streq(comm(), "metricsrace")) count(calls, comm()); }
        probe tracepoint:syscalls:sys_enter_getppid { if (streq(comm(), "metricsrace")) count(keep, comm()); }
        serve metrics 0
        """)
        #expect(first.waitForOutput("serving metrics at", timeout: 60), "\(first.errors)")
        let url = try #require(HTTPFetch.servedURL(in: first.output))
        let port = try #require(URL(string: url)?.port)
        try program.run(["40"])

        let second = try ShellProcess(timeout: 60)
        second.send("serve metrics \(port)")
        second.send("serve metrics 192.0.2.1:9100")
        second.send("serve metrics 99999")
        second.send("serve metrics [::1:9")
        second.send("serve nothing")
        second.send("serve")
        second.send("quit")
        _ = second.finish()
        #expect(second.errors.contains("cannot serve metrics on 127.0.0.1:\(port): the port is in use"), "\(second.errors)")
        #expect(second.errors.contains("cannot serve metrics on 192.0.2.1:9100: 192.0.2.1 is not an address of this machine"))
        #expect(second.errors.contains("'99999' is not a port: ports are 0 to 65535"))
        #expect(second.errors.contains("is not an address to listen on"))
        #expect(second.errors.contains("'nothing' is not something it serves"))
        #expect(second.output.contains("no metrics are served"))

        first.send("serve metrics 0")
        #expect(first.waitForOutput("already served", timeout: 5) || first.errors.contains("already served"))

        // A client that sends half a request and waits: others are served meanwhile.
        let stalled = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(stalled) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(stalled, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        _ = "GET /metrics HTTP/1.1\r\nHost: x\r\n".withCString { send(stalled, $0, strlen($0), 0) }

        // A hundred scrapes at once, while the prompt works on.
        let folder = try makeTemporaryDirectory(prefix: "bpfsh-scrapes")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = Date()
        let storm = try TimedProcess.run(HTTPFetch.curl, ["-sS", "-m", "30", "--parallel", "--parallel-max", "100",
                                                          "-o", "\(folder)/scrape_#1", "-w", "%{http_code}\n", "\(url)?n=[1-100]"],
                                         timeout: 60)
        let codes = storm.output.split(separator: "\n").map(String.init).filter { $0.count == 3 }
        #expect(codes.count == 100 && codes.allSatisfy { $0 == "200" }, "\(storm.output.prefix(2000))")
        let bodies = (1...100).compactMap { try? String(contentsOfFile: "\(folder)/scrape_\($0)", encoding: .utf8) }
        #expect(bodies.count == 100 && bodies.allSatisfy { $0.contains("bpfsh_calls_total{comm=\"metricsrace\"} 40\n") })
        #expect(Date().timeIntervalSince(started) < 20)

        // Scrapes race `drop`: every one is answered, and the map goes from them after.
        let raceCodesFile = folder + "/race-codes"
        let race = try Subprocess(HTTPFetch.curl, ["-sS", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}\n", "\(url)?r=[1-300]"],
                                  output: .file(raceCodesFile, append: false), error: .null, timeout: 60)
        first.send("drop p1")
        first.send("drop calls")
        first.send("print keep")
        #expect(first.waitForOutput("dropped map calls", timeout: 20))
        _ = race.wait(timeout: 60)
        let raceCodes = ((try? String(contentsOfFile: raceCodesFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(raceCodes.count == 300 && raceCodes.allSatisfy { $0 == "200" }, "\(raceCodes.prefix(5))")
        let after = try HTTPFetch.get(url)
        #expect(!after.body.contains("bpfsh_calls_total"))
        #expect(after.body.contains("bpfsh_keep_total{comm=\"metricsrace\"} 40\n"))
        #expect(first.output.contains("metricsrace"))

        first.send("serve stop")
        #expect(first.waitForOutput("stopped serving metrics", timeout: 10))
        #expect(try HTTPFetch.get(url, timeout: 5).status == 0, "nothing listens after serve stop")
        first.send("quit")
        #expect(first.finish() == 1, "the second 'serve metrics' failed on purpose: \(first.errors)")
        #expect(leaks.leftovers(of: first).isEmpty, "left in the kernel: \(leaks.leftovers(of: first))")
    }

    /// `bpfsh --metrics 0 --json SCRIPT`: served while the script runs; its output stays JSON.
    @Test func metricsFlagServesAScriptRun() throws {
        try Capabilities.requireBPF()
        let program = try Self.workload("metricsflag")
        defer { program.remove() }
        let folder = try makeTemporaryDirectory(prefix: "bpfsh-metrics-flag")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = """
        map calls count<comm_t>
        probe tracepoint:syscalls:sys_enter_getppid { if (streq(comm(), "metricsflag")) count(calls, comm()); }
        run 4s
        print calls
        """
        try script.write(toFile: "\(folder)/count.bpfsh", atomically: true, encoding: .utf8)
        let leaks = LeakCheck(script: script)
        let shell = try ShellProcess(arguments: ["--metrics", "0", "--json", "\(folder)/count.bpfsh"], timeout: 60)
        #expect(shell.waitForOutput("serving metrics at", timeout: 30), "\(shell.errors)")
        let url = try #require(HTTPFetch.servedURL(in: shell.output))
        #expect(shell.waitForOutput("attached", timeout: 30))
        try program.run(["17"])
        let scrape = try HTTPFetch.get(url)
        #expect(scrape.body.contains("bpfsh_calls_total{comm=\"metricsflag\"} 17\n"), "\(scrape.body.prefix(1500))")
        #expect(shell.finish(timeout: 30) == 0, "\(shell.errors)")
        let lines = shell.output.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("{") }, "--json output is JSON lines only:\n\(shell.output)")
        #expect(shell.output.contains("\"metricsflag\""))
        #expect(leaks.leftovers().isEmpty)
        // A port already taken: nothing runs, and the exit status says so.
        let blocker = try ShellProcess(arguments: ["--metrics", "0"], timeout: 30)
        #expect(blocker.waitForOutput("serving metrics at", timeout: 20))
        let taken = try #require(URL(string: HTTPFetch.servedURL(in: blocker.output) ?? "")?.port)
        let refused = try ShellProcess.run("", arguments: ["--metrics", "\(taken)", "\(folder)/count.bpfsh"], timeout: 30)
        #expect(refused.status != 0)
        #expect(refused.errors.contains("the port is in use"), "\(refused.errors)")
        #expect(!refused.output.contains("attached"))
        blocker.send("quit")
        _ = blocker.finish()
    }

    /// Debian's Prometheus scrapes two sessions on loopback (two ports for two hosts), each
    /// counting its own workload: per-instance counters and the merged sums are exact, and
    /// histogram buckets add up across instances. It also loads deploy/prometheus's rules.
    @Test func prometheusScrapesTwoSessionsAndMergesThem() throws {
        try Capabilities.requireBPF()
        let programs = try ["promloada", "promloadb"].map { try Self.workload($0) }
        defer { programs.forEach { $0.remove() } }
        let leaks = LeakCheck()
        var shells: [ShellProcess] = []
        var targets: [String] = []
        for name in ["promloada", "promloadb"] {
            let shell = try ShellProcess(timeout: 150)
            shell.send("""
            map calls count<comm_t>
            map sizes lhist(0, 100, 10)
            probe tracepoint:syscalls:sys_enter_getppid { if (streq(comm(), "\(name)")) count(calls, comm()); }
            probe tracepoint:syscalls:sys_enter_write { if (streq(comm(), "\(name)")) lhist(sizes, args->count); }
            serve metrics 0
            """)
            #expect(shell.waitForOutput("serving metrics at", timeout: 60), "\(shell.errors)")
            let url = try #require(HTTPFetch.servedURL(in: shell.output))
            targets.append(url.replacingOccurrences(of: "http://", with: "").replacingOccurrences(of: "/metrics", with: ""))
            shells.append(shell)
        }
        try programs[0].run(["30", "5", "15"])
        try programs[1].run(["45", "15", "50", "150"])

        let folder = try makeTemporaryDirectory(prefix: "bpfsh-prometheus")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let rules = Self.root.appendingPathComponent("deploy/prometheus/bpfsh-rules.yml").path
        let config = """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files: ["\(rules)"]
        scrape_configs:
          - job_name: bpfsh
            static_configs:
              - targets: ["\(targets[0])", "\(targets[1])"]
        """
        try config.write(toFile: folder + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = HTTPFetch.freePort()
        let prometheus = try Subprocess("/usr/bin/prometheus", [
            "--config.file=\(folder)/prometheus.yml", "--storage.tsdb.path=\(folder)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ], output: .file(folder + "/prometheus.log", append: false), error: .sameAsOutput, timeout: 120)
        defer {
            _ = prometheus.stop(grace: 10)
        }
        let api = "http://127.0.0.1:\(port)/api/v1/query?query="
        func query(_ promql: String) throws -> [(labels: [String: String], value: String)] {
            let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
            let response = try HTTPFetch.get(api + encoded, timeout: 5)
            guard let json = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
                  let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [] }
            return result.map { (($0["metric"] as? [String: String]) ?? [:], (($0["value"] as? [Any])?.last as? String) ?? "") }
        }
        // Both targets scraped with the final counts (a scrape a second, so this is quick).
        var perInstance: [(labels: [String: String], value: String)] = []
        let until = Date().addingTimeInterval(60)
        while Date() < until {
            perInstance = (try? query("bpfsh_calls_total")) ?? []
            if perInstance.count == 2, Set(perInstance.map(\.value)) == ["30", "45"] { break }
            usleep(500_000)
        }
        let log = (try? String(contentsOfFile: folder + "/prometheus.log", encoding: .utf8)) ?? ""
        #expect(perInstance.count == 2, "prometheus saw \(perInstance); its log:\n\(log.suffix(2000))")
        let byInstance = Dictionary(perInstance.map { ($0.labels["instance"] ?? "", ($0.labels["comm"] ?? "", $0.value)) },
                                    uniquingKeysWith: { a, _ in a })
        #expect(byInstance[targets[0]]?.0 == "promloada" && byInstance[targets[0]]?.1 == "30", "\(byInstance)")
        #expect(byInstance[targets[1]]?.0 == "promloadb" && byInstance[targets[1]]?.1 == "45", "\(byInstance)")
        #expect(try query("sum(bpfsh_calls_total)").first?.value == "75")
        // Histograms merge by bucket: 5, 15 from one and 15, 50, 150 from the other.
        let merged = try query("sum by (le) (bpfsh_sizes_bucket)")
        let buckets = Dictionary(merged.map { ($0.labels["le"] ?? "", $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(buckets["9"] == "1" && buckets["19"] == "3" && buckets["59"] == "4" && buckets["99"] == "4" && buckets["+Inf"] == "5",
                "\(buckets)")
        #expect(try query("sum(bpfsh_sizes_count)").first?.value == "5")
        #expect(try query("count(up == 1)").first?.value == "2")
        // The recording rules of deploy/prometheus load and evaluate.
        let rulesResponse = try HTTPFetch.get("http://127.0.0.1:\(port)/api/v1/rules", timeout: 5)
        #expect(rulesResponse.body.contains("\"health\":\"ok\""), "\(rulesResponse.body.prefix(1500))")
        #expect(!rulesResponse.body.contains("\"health\":\"err\""), "\(rulesResponse.body.prefix(3000))")
        for shell in shells {
            shell.send("quit")
            #expect(shell.finish() == 0, "\(shell.errors)")
        }
        #expect(shells.allSatisfy { leaks.leftovers(of: $0).isEmpty })
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}
