import Foundation
import ProcessKit
import Testing

/// The fleet path, on this machine: deploy/ansible's playbook (ansible-playbook with the
/// local connection) installs bpfsh into a folder, starts the saved session as a service
/// with --metrics, and after the wait stops it with SIGINT (so its trailing `print`
/// runs) and fetches its --json output, which holds the count of a known workload.
@Suite(.serialized, .needsBPF)
struct DeployTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func ansibleRunsASavedSessionAndFetchesItsOutput() throws {
        try Capabilities.requireBPF()
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/ansible-playbook"),
                     "ansible-playbook is needed (make test installs ansible-core)")
        let program = try TestProgram("ansibleload", source: """
        #include <unistd.h>
        int main(void) { for (int i = 0; i < 33; i++) getppid(); return 0; }
        """)
        defer { program.remove() }
        let work = try makeTemporaryDirectory(prefix: "bpfsh-ansible")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let session = """
        map calls count<comm_t>
        probe tracepoint:syscalls:sys_enter_getppid { if (streq(comm(), "ansibleload")) count(calls, comm()); }
        run
        print calls
        """
        try session.write(toFile: work + "/calls.bpfsh", atomically: true, encoding: .utf8)
        let leaks = LeakCheck(script: session)
        let port = HTTPFetch.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["CHECK_TIMEOUT"] = "150"
        let check = try Subprocess(Self.root.appendingPathComponent("deploy/ansible/check-local.sh").path,
                                   [ShellProcess.binaryPath, work + "/calls.bpfsh", work + "/run",
                                    "-e", "bpfsh_wait=6", "-e", "bpfsh_metrics_listen=127.0.0.1:\(port)"],
                                   environment: environment, output: .file(work + "/check.out", append: false),
                                   error: .file(work + "/check.err", append: false), timeout: 200)
        // The workload runs once the service's probe is attached, inside the wait.
        let serviceOutput = work + "/run/state/output.jsonl"
        let until = Date().addingTimeInterval(120)
        while Date() < until, check.isRunning {
            if let text = try? String(contentsOfFile: serviceOutput, encoding: .utf8), text.contains("\"command\":\"probe\"") { break }
            usleep(100_000)
        }
        try program.run()
        let scrape = try HTTPFetch.get("http://127.0.0.1:\(port)/metrics")
        #expect(scrape.body.contains("bpfsh_calls_total{comm=\"ansibleload\"} 33\n"), "the service serves its maps:\n\(scrape.body.prefix(800))")
        let ended = check.wait(timeout: 200)
        let log = (try? String(contentsOfFile: work + "/check.err", encoding: .utf8)) ?? ""
        #expect(ended == .exited(0), "check-local.sh: \(ended.map(String.init(describing:)) ?? "still running")\n\(log.suffix(3000))")
        let fetchedPath = ((try? String(contentsOfFile: work + "/check.out", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let fetched = (try? String(contentsOfFile: fetchedPath, encoding: .utf8)) ?? ""
        let map = fetched.split(separator: "\n").last { $0.contains("\"type\":\"map\"") && $0.contains("\"name\":\"calls\"") }
        #expect(map?.contains("{\"key\":\"ansibleload\",\"value\":33}") == true, "fetched \(fetchedPath):\n\(fetched.suffix(2000))")
        #expect(leaks.leftovers(waiting: 10).isEmpty, "the stopped service leaves nothing in the kernel")
    }

    /// deploy/prometheus: the scrape config and the rules load (promtool check), and the
    /// recording rules merge two hosts as their unit tests say (promtool test rules).
    @Test func prometheusConfigAndRulesCheck() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool is needed (make test installs prometheus)")
        let folder = Self.root.appendingPathComponent("deploy/prometheus").path
        for arguments in [["check", "config", "prometheus.yml"], ["check", "rules", "bpfsh-rules.yml"], ["test", "rules", "bpfsh-rules.test.yml"]] {
            let result = try TimedProcess.run("/bin/sh", ["-c", "cd \(folder) && promtool " + arguments.joined(separator: " ")], timeout: 60)
            #expect(result.status == 0, "promtool \(arguments.joined(separator: " ")): \(result.output)")
        }
    }
}
