import Foundation
import ProcessKit

/// A tool streaming one line per getppid call of one pid into a file.
protocol PrintTool {
    var name: String { get }
    /// Starts the tool with its stdout in `output` and stderr in `errors`; returns once
    /// attached. The failure text goes into the log.
    func start(workloadPID: Int, output: OutputFile, errors: String) -> Result<StreamingTool, StreamFailure>
}

protocol StreamingTool {
    var process: Subprocess { get }
    /// Called right before the workload is released (bpfsh starts `run` here).
    func beginRun(seconds: Double)
    /// Once the workload has ended: waits until the tool has drained; nil or why not.
    func drain(seconds: Double) -> StreamFailure?
    func stop() -> Termination
    /// Records the tool reported lost, from its error file and `otherOutput` (the lines
    /// of its output that are not events).
    func lostRecords(otherOutput: [String]) -> Int
}

struct StreamFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A tool that streams until SIGINT (ref_print, bpftrace): drained once its output
/// stops growing; lost records are counted from its text by `lostCounter`.
struct InterruptedTool: StreamingTool {
    let process: Subprocess
    let output: OutputFile
    let errors: String
    /// Sums the counts in what the tool wrote (stderr, then stdout's non-event lines).
    let lostCounter: (String) -> Int

    func beginRun(seconds: Double) {}

    func drain(seconds: Double) -> StreamFailure? {
        output.waitUntilStable(seconds: 10)
        return nil
    }

    func stop() -> Termination {
        process.signal(SIGINT)
        return process.stop(grace: 30).termination
    }

    func lostRecords(otherOutput: [String]) -> Int {
        lostCounter(((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "") + "\n"
            + otherOutput.joined(separator: "\n"))
    }

    /// The sum of the numbers between `prefix` and `suffix` on each line of `text`.
    static func sum(in text: String, between prefix: String, and suffix: String) -> Int {
        text.split(separator: "\n").compactMap { line -> Int? in
            guard let start = line.range(of: prefix), let end = line[start.upperBound...].range(of: suffix) else { return nil }
            return Int(line[start.upperBound..<end.lowerBound])
        }.reduce(0, +)
    }
}

/// bench/ref_print PID batch: libbpf ring buffer, stdio, "ready" once attached,
/// "N records written, M lost" on stderr at SIGINT.
struct RefPrintTool: PrintTool {
    let bench: Bench
    var name: String { "ref" }

    func start(workloadPID: Int, output: OutputFile, errors: String) -> Result<StreamingTool, StreamFailure> {
        guard let process = try? Subprocess(bench.programs.refPrint, [String(workloadPID), "batch"],
                                            output: .file(output.path, append: false), error: .file(errors, append: true),
                                            timeout: bench.settings.timeout) else { return .failure(.init("ref_print did not start")) }
        guard output.waitForLine(until: .after(30), process: process, where: { $0 == "ready" }) else {
            process.signal(SIGKILL)
            process.stop(grace: 5)
            return .failure(.init("ref_print did not attach"))
        }
        return .success(InterruptedTool(process: process, output: output, errors: errors) {
            InterruptedTool.sum(in: $0, between: "records written, ", and: " lost")
        })
    }
}

/// bpftrace: printf under /pid == PID/, stopped with SIGINT; "Lost N events" lines.
struct BPFtracePrintTool: PrintTool {
    let bench: Bench
    var name: String { "bpftrace" }

    func start(workloadPID: Int, output: OutputFile, errors: String) -> Result<StreamingTool, StreamFailure> {
        let before = KernelObjects.attachments(to: .getppid)
        let program = "\(Bench.tracepoint) /pid == \(workloadPID)/ { printf(\"%d %llu\\n\", pid, nsecs); }"
        guard let process = try? Subprocess("bpftrace", ["-e", program], output: .file(output.path, append: false),
                                            error: .file(errors, append: true), timeout: bench.settings.timeout)
        else { return .failure(.init("bpftrace did not start")) }
        guard BPFtraceTool.waitForAttachment(above: before, on: .getppid, process: process, seconds: 30) else {
            process.signal(SIGKILL)
            process.stop(grace: 5)
            return .failure(.init("bpftrace did not attach"))
        }
        return .success(InterruptedTool(process: process, output: output, errors: errors) {
            InterruptedTool.sum(in: $0, between: "Lost ", and: " events")
        })
    }
}

/// bpfsh in text mode (events are what a user sees: plain lines), stdin a pipe:
/// `probe … print(…)`, `run S+1s` just before the workload starts, then `run 300ms`, a
/// marker map whose status shows the runs are over, and `quit`. Lost records are the
/// `warning: N print() records lost` lines on stderr (or JSON `lost` objects).
struct BPFShPrintTool: PrintTool {
    let bench: Bench
    var name: String { "bpfsh" }

    func start(workloadPID: Int, output: OutputFile, errors: String) -> Result<StreamingTool, StreamFailure> {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        guard let process = try? Subprocess(bench.settings.bpfsh, [], environment: env, input: .pipe,
                                            output: .file(output.path, append: false), error: .file(errors, append: true),
                                            timeout: bench.settings.timeout) else { return .failure(.init("bpfsh did not start")) }
        let running = Running(process: process, output: output, errors: errors)
        process.write("probe \(Bench.tracepoint) { if (pid() == \(workloadPID)) print(\"%d %llu\\n\", pid(), nsecs()); }\n")
        let attached = output.waitForLine(until: .after(bench.settings.timeout), process: process,
                                          failed: { running.errorLines().contains { $0.contains("rror:") } },
                                          where: { if case .attached = BPFShLine.parseText(String($0)) { return true }; return false })
        guard attached else {
            process.closeInput()
            process.stop(grace: 10)
            return .failure(.init("probe did not attach"))
        }
        return .success(running)
    }

    struct Running: StreamingTool {
        let process: Subprocess
        let output: OutputFile
        let errors: String

        func errorLines() -> [Substring] {
            ((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "").split(separator: "\n")
        }

        /// The run outlasts the workload; streaming starts with it.
        func beginRun(seconds: Double) {
            process.write("run \(Int(seconds.rounded(.up)) + 1)s\n")
            pause(0.3)
        }

        func drain(seconds: Double) -> StreamFailure? {
            process.write("run 300ms\nmap bench_done count<u32>\n")
            let done = output.waitForLine(until: .after(seconds + 15), process: process) { $0.hasPrefix("map bench_done") }
            return done ? nil : StreamFailure("bpfsh did not finish the run")
        }

        func stop() -> Termination {
            process.write("quit\n")
            process.closeInput()
            return process.stop(grace: 30).termination
        }

        func lostRecords(otherOutput: [String]) -> Int {
            let warnings = errorLines().compactMap { lostCount(inWarning: String($0)) }.reduce(0, +)
            // Should JSON `lost` objects ever reach stdout in text mode too, count them there.
            let objects = otherOutput.filter { $0.hasPrefix("{") }.compactMap { line -> Int? in
                if case let .lost(count) = BPFShLine.parseJSON(line) { return count }
                return nil
            }.reduce(0, +)
            return warnings + objects
        }
    }
}
