import Foundation
import ProcessKit

/// A tracer measured per event: started with the mode's probe on the mode's syscall,
/// then stopped once the workload has run.
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

/// The C reference: `ref count|hist|str`, "ready" once attached, ends on stdin EOF.
struct RefTool: PerEventTool {
    let bench: Bench
    var name: String { "ref" }

    func attach(_ mode: PerEventMode) -> AttachedTool? {
        let logFile = bench.log.processLog("ref-\(mode.rawValue)")
        guard let process = try? Subprocess(bench.programs.ref, [mode.referenceArgument], input: .pipe, output: .pipe,
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

/// bpftrace with the same probe (`PerEventMode.bpftraceProgram`).
struct BPFtraceTool: PerEventTool {
    let bench: Bench
    var name: String { "bpftrace" }

    func attach(_ mode: PerEventMode) -> AttachedTool? {
        let syscall = mode.syscall
        let logFile = bench.log.processLog("bpftrace-\(mode.rawValue)")
        let before = KernelObjects.attachments(to: syscall)
        guard let process = try? Subprocess("bpftrace", ["-e", mode.bpftraceProgram], output: .pipe,
                                            error: .file(logFile, append: true), timeout: bench.settings.timeout)
        else { return nil }
        let reader = LineReader(descriptor: process.output ?? -1)
        reader.onLine = { FileIO.append($0 + "\n", toFile: logFile) }
        let attached = Attached(process: process, reader: reader, mode: mode, log: bench.log)
        // bpftrace prints "Attaching" before it attaches: wait until the kernel shows
        // one more attachment on the tracepoint.
        guard reader.firstLine(until: .after(30), where: { $0.hasPrefix("Attaching") }) != nil,
              Self.waitForAttachment(above: before, on: syscall, process: process) else {
            bench.log.log("bpftrace: \(syscall.event) never showed up in bpftool perf show")
            _ = attached.detach()
            return nil
        }
        return attached
    }

    static func waitForAttachment(above count: Int, on syscall: TracedSyscall, process: Subprocess,
                                  seconds: Double = 10) -> Bool {
        let deadline = Deadline.after(seconds)
        while !deadline.hasPassed, process.isRunning {
            if KernelObjects.attachments(to: syscall) > count { return true }
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
            if let key = mode.workloadKey { log.log("  recorded: \(lines.last { $0.contains("@[\(key)]") } ?? "")") }
            return ended.isSuccess
        }
    }
}

/// bpfsh: the mode's map and probe (`map c count<comm_t>` + `probe … { count(c, comm()); }`
/// and so on), then `print` and `quit`.
struct BPFShTool: PerEventTool {
    let bench: Bench
    var name: String { "bpfsh" }

    func attach(_ mode: PerEventMode) -> AttachedTool? {
        guard let session = try? BPFShSession(bench: bench, tag: "bpfsh-\(mode.rawValue)") else { return nil }
        let attached = Attached(session: session, mode: mode, log: bench.log)
        let commands = mode.bpfshCommands
        guard session.send(commands.map), let probe = session.probe(commands.probe) else {
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
            session.send(mode.bpfshCommands.print)
            let ended = session.quit()
            if let key = mode.workloadKey {
                let value = session.loggedLines(containing: key).lazy.compactMap { BPFShLine.mapValue(in: $0, key: key) }.first
                log.log("  recorded: \(key): \(value.map(String.init) ?? "not in the map")")
            }
            return ended.isSuccess
        }
    }
}
