import Foundation
import ProcessKit

/// bpfsh driven as a user at a pipe would: one command per line on stdin, its answers
/// (stdout and stderr merged) read line by line and kept in logs/TAG.log.
final class BPFShSession {
    let process: Subprocess
    private let reader: LineReader
    private let logFile: String
    private let timeout: Double

    /// What the harness saw of one probe: bpfsh's own timing and the wall time from
    /// sending the line to reading the answer.
    struct Attachment {
        let timing: ProbeTiming
        let seenMs: Double
    }

    /// Starts `bpfsh --json` with NO_COLOR=1 and `environment` added.
    init(bench: Bench, tag: String, environment: [String: String] = [:]) throws {
        logFile = bench.log.processLog(tag)
        timeout = bench.settings.timeout
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.merge(environment) { $1 }
        process = try Subprocess(bench.settings.bpfsh, ["--json"], environment: env, input: .pipe,
                                 output: .pipe, error: .sameAsOutput, timeout: bench.settings.timeout)
        reader = LineReader(descriptor: process.output ?? -1)
        let file = logFile
        // A printed map of 10,000 stacks is one 8 MB line: the log keeps its start.
        reader.onLine = { line in
            let kept = line.utf8.count <= 4096 ? line : String(line.prefix(4096)) + "… (\(line.utf8.count) bytes)"
            FileIO.append(kept + "\n", toFile: file)
        }
        bench.log.log("[\(tag)] started pid \(process.pid): \(bench.settings.bpfsh) --json")
    }

    @discardableResult
    func send(_ line: String) -> Bool {
        FileIO.append("> " + line + "\n", toFile: logFile)
        return process.write(line + "\n")
    }

    /// Sends a `probe` line and waits for its status; nil on an error, a timeout or exit.
    func probe(_ line: String) -> Attachment? {
        let sent = Monotonic.now()
        guard send(line) else { return nil }
        var timing: ProbeTiming?
        _ = reader.firstLine(until: .after(timeout), where: { line in
            if case let .attached(found) = BPFShLine.parseJSON(line) { timing = found }
            return timing != nil
        }, stoppingAt: { line in
            if case .error = BPFShLine.parseJSON(line) { return true }
            return false
        })
        guard let timing else { return nil }
        return Attachment(timing: timing, seenMs: Monotonic.milliseconds(since: sent))
    }

    /// Sends `line` and returns bpfsh's answer: every line up to and including the first
    /// that satisfies `isLast`; nil on an error object, a timeout or exit.
    func answer(to line: String, endingWith isLast: (String) -> Bool) -> [String]? {
        guard send(line) else { return nil }
        var lines: [String] = []
        let last = reader.firstLine(until: .after(timeout), where: { line in
            lines.append(line)
            return isLast(line)
        }, stoppingAt: { line in
            // A map's rows can be megabytes on one line: only short lines can be errors.
            guard line.utf8.count < 65536, case .error = BPFShLine.parseJSON(line) else { return false }
            return true
        })
        return last == nil ? nil : lines
    }

    /// Sends `time COMMAND` and returns bpfsh's own elapsed time with what the command
    /// printed before it; nil on an error, a timeout or exit.
    func timed(_ command: String) -> (ms: Double, answer: [String])? {
        var elapsed: Double?
        guard let lines = answer(to: "time " + command, endingWith: { line in
            guard line.utf8.count < 65536, case let .timed(_, ms) = BPFShLine.parseJSON(line) else { return false }
            elapsed = ms
            return true
        }), let elapsed else { return nil }
        return (elapsed, Array(lines.dropLast()))
    }

    /// Sends `quit`, closes stdin, keeps what is left of the output and waits for exit
    /// (killing bpfsh after `grace` seconds).
    @discardableResult
    func quit(grace: Double = 30) -> Termination {
        send("quit")
        process.closeInput()
        _ = reader.rest(until: .after(grace))
        let (ended, wasKilled) = process.stop(grace: grace)
        if wasKilled { FileIO.append("[bench] bpfsh did not exit within \(grace) s: stopped\n", toFile: logFile) }
        FileIO.append("[bench] \(ended)\n", toFile: logFile)
        return ended
    }

    /// The log lines that mention `text` (what `print c` showed).
    func loggedLines(containing text: String) -> [String] {
        ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.contains(text) }.map(String.init)
    }
}
