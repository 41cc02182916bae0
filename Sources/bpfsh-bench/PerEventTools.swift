import Foundation
import ProcessKit

enum PerEventMode: String, CaseIterable {
    case count, hist
}

/// A tracer measured per event: started with its probe on sys_enter_getppid, then
/// stopped once the workload has run.
protocol PerEventTool {
    var name: String { get }
    /// Returns once the probe is attached, nil if it never was.
    func attach(_ mode: PerEventMode) -> AttachedTool?
}

protocol AttachedTool {
    /// The process that holds the probe (its descendants count as its own).
    var pid: pid_t { get }
    /// Stops the tool and logs what it recorded; false if it failed.
    func detach() -> Bool
}

/// The C reference: `ref count|hist`, "ready" once attached, ends on stdin EOF.
struct RefTool: PerEventTool {
    let bench: Bench
    var name: String { "ref" }

    func attach(_ mode: PerEventMode) -> AttachedTool? {
        let logFile = bench.log.processLog("ref-\(mode.rawValue)")
        guard let process = try? Subprocess(bench.programs.ref, [mode.rawValue], input: .pipe, output: .pipe,
                                            error: .file(logFile, append: true), timeout: bench.settings.timeout)
        else { return nil }
        let attached = Attached(process: process, logFile: logFile, log: bench.log)
        let reader = LineReader(descriptor: process.output ?? -1)
        guard reader.firstLine(until: .after(30), where: { $0 == "ready" }) != nil else {
            _ = attached.detach()
            return nil
        }
        return attached
    }

    struct Attached: AttachedTool {
        let process: Subprocess
        let logFile: String
        let log: BenchLog
        var pid: pid_t { process.pid }

        func detach() -> Bool {
            process.closeInput()
            let (ended, _) = process.stop(grace: 20)
            let recorded = ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")
                .split(separator: "\n").last { $0.contains("events recorded") } ?? ""
            log.log("  recorded: \(recorded) (\(ended))")
            return ended.isSuccess
        }
    }
}

/// bpftrace with the same probe: `@[comm] = count()` or `@h = hist(nsecs)`.
struct BPFtraceTool: PerEventTool {
    let bench: Bench
    var name: String { "bpftrace" }

    func attach(_ mode: PerEventMode) -> AttachedTool? {
        let program = mode == .count ? "\(Bench.tracepoint) { @[comm] = count(); }"
            : "\(Bench.tracepoint) { @h = hist(nsecs); }"
        let logFile = bench.log.processLog("bpftrace-\(mode.rawValue)")
        let before = KernelObjects.getppidAttachments()
        guard let process = try? Subprocess("bpftrace", ["-e", program], output: .pipe,
                                            error: .file(logFile, append: true), timeout: bench.settings.timeout)
        else { return nil }
        let reader = LineReader(descriptor: process.output ?? -1)
        reader.onLine = { FileIO.append($0 + "\n", toFile: logFile) }
        let attached = Attached(process: process, reader: reader, mode: mode, log: bench.log)
        // bpftrace prints "Attaching" before it attaches: wait until the kernel shows
        // one more attachment on the tracepoint.
        guard reader.firstLine(until: .after(30), where: { $0.hasPrefix("Attaching") }) != nil,
              Self.waitForAttachment(above: before, process: process) else {
            bench.log.log("bpftrace: the tracepoint never showed up in bpftool perf show")
            _ = attached.detach()
            return nil
        }
        return attached
    }

    static func waitForAttachment(above count: Int, process: Subprocess, seconds: Double = 10) -> Bool {
        let deadline = Deadline.after(seconds)
        while !deadline.hasPassed, process.isRunning {
            if KernelObjects.getppidAttachments() > count { return true }
            pause(0.05)
        }
        return false
    }

    struct Attached: AttachedTool {
        let process: Subprocess
        let reader: LineReader
        let mode: PerEventMode
        let log: BenchLog
        var pid: pid_t { process.pid }

        func detach() -> Bool {
            process.signal(SIGINT)   // bpftrace prints its maps and exits
            let lines = reader.rest(until: .after(30))
            let (ended, _) = process.stop(grace: 30)
            if mode == .count { log.log("  recorded: \(lines.last { $0.contains("@[getppid_loop]") } ?? "")") }
            return ended.isSuccess
        }
    }
}

/// bpfsh: `map c count<comm_t>` + `probe … { count(c, comm()); }` (or a hist), then
/// `print` and `quit`.
struct BPFShTool: PerEventTool {
    let bench: Bench
    var name: String { "bpfsh" }

    func attach(_ mode: PerEventMode) -> AttachedTool? {
        guard let session = try? BPFShSession(bench: bench, tag: "bpfsh-\(mode.rawValue)") else { return nil }
        let attached = Attached(session: session, mode: mode, log: bench.log)
        let commands = mode == .count
            ? ("map c count<comm_t>", "probe \(Bench.tracepoint) { count(c, comm()); }")
            : ("map h hist", "probe \(Bench.tracepoint) { hist(h, nsecs()); }")
        guard session.send(commands.0), let probe = session.probe(commands.1) else {
            _ = attached.detach()
            return nil
        }
        bench.log.log("  bpfsh: attached in \(probe.timing.totalMs.oneDecimal) ms (bpfsh), \(probe.seenMs.oneDecimal) ms seen")
        return attached
    }

    struct Attached: AttachedTool {
        let session: BPFShSession
        let mode: PerEventMode
        let log: BenchLog
        var pid: pid_t { session.process.pid }

        func detach() -> Bool {
            session.send(mode == .count ? "print c" : "print h")
            let ended = session.quit()
            if mode == .count { log.log("  recorded: \(session.loggedLines(containing: "getppid_loop").first ?? "")") }
            return ended.isSuccess
        }
    }
}
