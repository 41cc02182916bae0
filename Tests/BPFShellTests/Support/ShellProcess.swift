import Foundation
import ProcessKit

/// Drives the real bpfsh binary through pipes, with a deadline on everything.
final class ShellProcess: @unchecked Sendable {
    static let binaryPath: String = {
        if let explicit = ProcessInfo.processInfo.environment["BPFSH_BINARY"] { return explicit }
        // The test bundle sits next to the products of the same build.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("bpfsh").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/bpfsh"
    }()

    let process: Subprocess
    private let outputCollector: OutputCollector
    private let errorCollector: OutputCollector
    private let deadline: Date

    /// Starts bpfsh; `timeout` bounds the whole process life (it is killed after).
    init(arguments: [String] = [], environment: [String: String] = [:], timeout: TimeInterval = 60) throws {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        deadline = Date().addingTimeInterval(timeout)
        // Same process group as the test runner, so a Ctrl-C at the terminal reaches the
        // shell too; the deadline kills it if the test forgets to.
        process = try Subprocess(Self.binaryPath, arguments, environment: env, input: .pipe, output: .pipe,
                                 error: .pipe, newProcessGroup: false, timeout: timeout)
        outputCollector = OutputCollector(descriptor: process.output ?? -1)
        errorCollector = OutputCollector(descriptor: process.error ?? -1)
    }

    var output: String { outputCollector.text }
    var errors: String { errorCollector.text }

    /// Session map names sent so far, for the leak check.
    private(set) var declaredMaps: Set<String> = []

    func send(_ text: String) {
        let line = text.hasSuffix("\n") ? text : text + "\n"
        for command in line.split(separator: "\n") {
            let words = command.split(separator: " ")
            if words.count >= 2, words[0] == "map" { declaredMaps.insert(String(words[1])) }
        }
        process.write(line)
    }

    /// Waits until stdout contains `text` (true) or the timeout passes (false).
    @discardableResult
    func waitForOutput(_ text: String, occurrences: Int = 1, timeout: TimeInterval = 20) -> Bool {
        let until = min(deadline, Date().addingTimeInterval(timeout))
        while Date() < until {
            if output.components(separatedBy: text).count - 1 >= occurrences { return true }
            if !process.isRunning { return output.components(separatedBy: text).count - 1 >= occurrences }
            usleep(10_000)
        }
        return false
    }

    /// Closes stdin and waits for exit; returns the exit status, the signal number if a
    /// signal ended it, or -9 if it had to be killed.
    func finish(timeout: TimeInterval = 20) -> Int32 {
        process.closeInput()
        let until = min(deadline, Date().addingTimeInterval(timeout))
        guard let ended = process.wait(timeout: max(0, until.timeIntervalSinceNow)) else {
            process.signal(SIGTERM)
            if process.wait(timeout: 0.2) == nil { process.signal(SIGKILL) }
            process.wait(timeout: 10)
            return -9
        }
        // Let the readers take what is left in the pipes (bounded: a grandchild that
        // inherited them could hold them open).
        outputCollector.waitForEnd(until: .after(5))
        errorCollector.waitForEnd(until: .after(5))
        return ended.foundationStatus
    }

    /// Runs a whole script through stdin and returns (status, stdout, stderr).
    static func run(_ script: String, arguments: [String] = [], environment: [String: String] = [:],
                    timeout: TimeInterval = 60) throws -> (status: Int32, output: String, errors: String) {
        let shell = try ShellProcess(arguments: arguments, environment: environment, timeout: timeout)
        shell.send(script)
        let status = shell.finish(timeout: timeout)
        return (status, shell.output, shell.errors)
    }
}

/// Foundation.Process's names for what the tests ask of `shell.process`.
extension Subprocess {
    var processIdentifier: pid_t { pid }

    func waitUntilExit() {
        wait(until: .after(3600))
    }

    /// As Foundation reports it: the exit status, or the number of the signal that ended it.
    var terminationStatus: Int32 { termination?.foundationStatus ?? 0 }
}

extension Termination {
    var foundationStatus: Int32 {
        switch self {
        case let .exited(code): return code
        case let .signaled(signal): return signal
        }
    }
}

/// Kernel objects of ours that outlive a test are a bug. A snapshot of program and map
/// ids before the test is compared with the kernel after it; the kernel frees programs
/// after an RCU grace period once the last fd is closed, so the check polls briefly.
/// Only objects bpfsh names are counted (programs and internal maps start with
/// `bpfsh_`, session maps carry the names the test declared), so another BPF user on
/// the machine (a benchmark, a system daemon) cannot fail the check.
struct LeakCheck {
    let before: Set<String>
    let mapNames: Set<String>

    init(mapNames: Set<String> = []) {
        before = Self.objects()
        self.mapNames = mapNames
    }

    /// A leak check for a script: its `map NAME` lines name the session maps.
    init(script: String) {
        let names = script.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            return words.count >= 2 && words[0] == "map" ? String(words[1]) : nil
        }
        self.init(mapNames: Set(names))
    }

    private func isOurs(_ line: String, _ extra: Set<String>) -> Bool {
        guard let range = line.range(of: " name ") else { return false }
        let name = line[range.upperBound...].split(separator: " ").first.map(String.init) ?? ""
        return name.hasPrefix("bpfsh_") || mapNames.contains(name) || extra.contains(name)
    }

    /// Programs and maps of ours that appeared since the snapshot and are still there;
    /// pass the shell to count the maps it declared too.
    func leftovers(of shell: ShellProcess? = nil, waiting seconds: Double = 3) -> [String] {
        let extra = shell?.declaredMaps ?? []
        let until = Date().addingTimeInterval(seconds)
        var left: [String] = []
        repeat {
            left = Self.objects().subtracting(before).filter { isOurs($0, extra) }.sorted()
            if left.isEmpty { return [] }
            usleep(100_000)
        } while Date() < until
        return left
    }

    static func objects() -> Set<String> {
        Set(listing(["prog", "show"]).map { "prog " + $0 } + listing(["map", "show"]).map { "map " + $0 })
    }

    /// The header line of each object ("12: tracepoint  name bpfsh_p1 …").
    private static func listing(_ arguments: [String]) -> [String] {
        guard let path = ["/usr/sbin/bpftool", "/usr/bin/bpftool", "/sbin/bpftool"]
                .last(where: FileManager.default.isExecutableFile),
              let result = try? Subprocess.run(path, arguments, timeout: 30) else { return [] }
        return result.output.split(separator: "\n").map(String.init).filter { $0.first?.isNumber ?? false }
    }
}
