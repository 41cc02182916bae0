import ArgumentParser
import Foundation
import ProcessKit

/// bpfsh's benchmark: bpfsh measured side by side with a hand-written libbpf C program
/// (bench/ref*.c) and bpftrace; prints the table, writes bench/out/results.json and
/// fails when a DESIGN.md target ("Numbers it must reach") is missed.
@main
struct BPFShBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bpfsh-bench",
        abstract: "Measure bpfsh against a hand-written libbpf C program and bpftrace.",
        discussion: """
            Needs root, clang-19, gcc, libbpf-dev, bpftool; bpftrace is optional. Every flag has an \
            environment variable of the old bench/run.sh (BPFSH, BENCH_N, BENCH_REPS, BENCH_PROBES, \
            BENCH_STARTS, BENCH_SCRIPT_RUNS, BENCH_CPU, BENCH_TIMEOUT, BENCH_QUITS, BENCH_PRINT_RATES, \
            BENCH_PRINT_SECS, BENCH_PRINT_N, BENCH_SKIP), plus BENCH_FLAME_RUNS and BENCH_FLAMEGRAPH_PL \
            (flamegraph.pl to compare the flame graph with); a flag wins over its variable. See bench/README.md.
            """)

    @Option(help: ArgumentHelp("The bpfsh binary (default: .build/release/bpfsh; env BPFSH).", valueName: "path"))
    var bpfsh: String?

    @Option(help: ArgumentHelp("The package root holding bench/ (default: found from here or from this binary).",
                               valueName: "dir"))
    var root: String?

    @Option(name: .customLong("calls"), help: "Syscalls per per-event run, getppid or openat (env BENCH_N, 5000000).")
    var calls: Int?

    @Option(help: "Rounds per per-event measurement (env BENCH_REPS, 3).")
    var rounds: Int?

    @Option(help: "Parts to skip, space or comma separated: bpftrace bpfsh perevent startup print flame symbols scale jupyter metrics (env BENCH_SKIP).")
    var skip: String?

    @Option(help: "print() steady rates in events/s, ascending (env BENCH_PRINT_RATES).")
    var printRates: String?

    @Option(help: "Seconds per print() run (env BENCH_PRINT_SECS, 2).")
    var printSeconds: Double?

    func validate() throws {
        if let calls, calls < 1 { throw ValidationError("--calls must be at least 1") }
        if let rounds, rounds < 1 { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        guard geteuid() == 0 else { throw ValidationError("needs root (BPF and tracefs)") }
        let settings = try resolveSettings()
        try FileManager.default.createDirectory(atPath: settings.logs, withIntermediateDirectories: true)
        let log = BenchLog(path: settings.out + "/bench.log", directory: settings.logs)
        let scratch = try ScratchSpace()
        Interruption.install { scratch.remove() }
        defer { scratch.remove() }

        let passed = try BenchRun(settings: settings, log: log, scratch: scratch).run()
        scratch.remove()
        if !passed { throw ExitCode(1) }
    }

    private func resolveSettings() throws -> BenchSettings {
        let packageRoot = try root.map(absolute) ?? Self.findRoot()
        var settings = try BenchSettings.fromEnvironment(root: packageRoot)
        if let bpfsh { settings.bpfsh = absolute(bpfsh) } else { settings.bpfsh = absolute(settings.bpfsh) }
        if let calls { settings.calls = calls }
        if let rounds { settings.rounds = rounds }
        if let skip { settings.skipped = try BenchSettings.parseParts(skip) }
        if let printRates { settings.printRates = try BenchSettings.parseRates(printRates, name: "--print-rates") }
        if let printSeconds { settings.printSeconds = printSeconds }
        return settings
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The directory holding bench/ref.c: here or above, or above this executable
    /// (.build/release/bpfsh-bench).
    static func findRoot() throws -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for start in [URL(fileURLWithPath: FileManager.default.currentDirectoryPath), executable.deletingLastPathComponent()] {
            var directory = start
            for _ in 0..<6 {
                if FileManager.default.fileExists(atPath: directory.path + "/bench/ref.c") { return directory.path }
                directory = directory.deletingLastPathComponent()
            }
        }
        throw ValidationError("cannot find bench/ref.c here or above; pass --root")
    }
}

/// Temporary directories, removed on every way out.
final class ScratchSpace: @unchecked Sendable {
    let temporary: String
    /// A tmpfs directory for print() output when /dev/shm exists, else `temporary`.
    let sink: String

    init() throws {
        temporary = try Self.makeDirectory("/tmp")
        sink = (try? Self.makeDirectory("/dev/shm")) ?? temporary
    }

    private static func makeDirectory(_ parent: String) throws -> String {
        var template = Array((parent + "/bpfsh-bench.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw ValidationError("cannot create a directory in \(parent)") }
        return String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: temporary)
        if sink != temporary { try? FileManager.default.removeItem(atPath: sink) }
    }
}

/// Ctrl-C, SIGTERM, SIGHUP: kill every child (their process groups), clean up, exit 130.
enum Interruption {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(cleanup: @escaping () -> Void) {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("bench: interrupted\n".utf8))
                Subprocess.killAllRunning()
                cleanup()
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}
