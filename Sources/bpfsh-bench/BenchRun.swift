import Foundation
import ProcessKit

/// One run of the benchmark: build, measure each part, check for leftovers, report.
struct BenchRun {
    let settings: BenchSettings
    let log: BenchLog
    let scratch: ScratchSpace

    /// Measures everything and writes the report; false when a target was missed,
    /// something was left in the kernel, or the C reference itself failed.
    func run() throws -> Bool {
        for tool in ["clang-19", "gcc", "bpftool"] + (settings.cpu == nil ? [] : ["taskset"]) where !Self.isInPath(tool) {
            throw ReferenceBuild.BuildError(description: "bench: \(tool) not found (make deps installs it)")
        }
        var settings = settings
        if let cpu = settings.cpu, !((try? Subprocess.run("taskset", ["-c", String(cpu), "true"]))?.succeeded ?? false) {
            log.say("bench: cannot pin to CPU \(cpu), not pinning")
            settings.cpu = nil
        }
        let programs = try ReferenceBuild(settings: settings, log: log).buildAll()
        let before = Leftovers.Snapshot()

        let hasBPFtrace = Self.isInPath("bpftrace") && !settings.skips(.bpftrace)
        if !Self.isInPath("bpftrace") { log.say("bpftrace not found: its column is n/a") }
        var hasBPFsh = !settings.skips(.bpfsh)
        if hasBPFsh, !FileManager.default.isExecutableFile(atPath: settings.bpfsh) {
            log.say("bpfsh not found at \(settings.bpfsh): its column is n/a")
            hasBPFsh = false
        }
        let bench = Bench(settings: settings, log: log, programs: programs, hasBPFtrace: hasBPFtrace, hasBPFsh: hasBPFsh,
                          temporary: scratch.temporary, sink: scratch.sink)
        log.say("bench: \(settings.calls) syscalls per per-event run, \(settings.rounds) rounds, workload CPU "
            + "\(settings.cpu.map(String.init) ?? "any"); log in \(log.path)")
        let loadAtStart = Self.loadAverage()

        var figures = Figures()
        if !settings.skips(.perevent) {
            var tools: [PerEventTool] = [RefTool(bench: bench)]
            if hasBPFtrace { tools.append(BPFtraceTool(bench: bench)) }
            if hasBPFsh { tools.append(BPFShTool(bench: bench)) }
            let perEvent = PerEventBench(bench: bench, tools: tools)
            for mode in PerEventMode.allCases {
                log.say("per-event \(mode.rawValue): " + tools.map(\.name).joined(separator: " "))
                figures.perEvent[mode] = perEvent.measure(mode)
            }
        }
        if !settings.skips(.startup) {
            let startup = StartupBench(bench: bench)
            log.say("start-up: C reference")
            (figures.refStartMs, figures.refRSSMB) = startup.reference()
            if hasBPFtrace {
                log.say("start-up: bpftrace")
                figures.bpftraceStartMs = startup.bpftrace()
                (figures.bpftraceQuitMs, figures.bpftracePeakMB) = QuitAndMemoryBench(bench: bench).bpftrace()
            }
            if hasBPFsh {
                log.say("start-up: bpfsh")
                figures.bpfshStartup = startup.bpfsh()
                figures.bpfshMemory = QuitAndMemoryBench(bench: bench).bpfsh()
            }
            log.say("one-probe script start -> attached -> exit: " + (hasBPFsh ? "bpfsh and " : "") + "the C loader")
            figures.script = ScriptStartBench(bench: bench).measure(includingBPFSh: hasBPFsh)
        }
        if !settings.skips(.print) {
            if !KernelObjects.waitQuiet(log: log) {
                log.say("print(): other processes keep BPF probes on syscall tracepoints; measuring anyway")
            }
            let stream = PrintStreamBench(bench: bench)
            var tools: [PrintTool] = [RefPrintTool(bench: bench)]
            if hasBPFtrace { tools.append(BPFtracePrintTool(bench: bench)) }
            if hasBPFsh { tools.append(BPFShPrintTool(bench: bench)) }
            for tool in tools { figures.print[tool.name] = stream.measure(tool) }
        }
        if hasBPFsh {
            measureLargeInputs(bench, into: &figures)
        }

        let leftovers = Leftovers.since(before)
        let report = ReportBuilder(bench: bench, figures: figures, leftovers: leftovers,
                                   loadAverages: (loadAtStart, Self.loadAverage())).report()
        let table = report.table
        FileHandle.standardOutput.write(Data(table.utf8))
        try table.write(toFile: settings.out + "/results.txt", atomically: true, encoding: .utf8)
        try report.json(settings: settings, leftovers: leftovers).write(to: URL(fileURLWithPath: settings.out + "/results.json"))
        log.log(table)

        var passed = true
        for row in report.missedTargets {
            log.say("bench: target missed: \(row.measure): \(row.bpfsh.tableText) (target \(row.target.text))")
            passed = false
        }
        if !leftovers.isEmpty {
            log.say("bench: programs or maps left in the kernel after the run")
            passed = false
        }
        if !settings.skips(.perevent), figures.perEvent.values.contains(where: { $0.cost["ref"] == nil }) {
            log.say("bench: the C reference's per-event measurement failed")
            passed = false
        }
        return passed
    }

    /// Everything measured, for the report.
    struct Figures {
        var perEvent: [PerEventMode: PerEventBench.Outcome] = [:]
        var refStartMs: Double?
        var refRSSMB: Double?
        var bpftraceStartMs: Double?
        var bpftraceQuitMs: Double?
        var bpftracePeakMB: Double?
        var bpfshStartup = StartupBench.BPFShFigures()
        var bpfshMemory = QuitAndMemoryBench.Figures()
        var script = ScriptStartBench.Figures()
        var print: [String: PrintStreamBench.Figures] = [:]
        var flame: FlameBench.Figures?
        var symbols: SymbolizeBench.Figures?
        var bigMap: TopOfBigMapBench.Figures?
        var manyProbes: ManyProbesQuitBench.Figures?
        var jupyter: JupyterBench.Figures?
        var metrics: MetricsBench.Figures?
    }

    /// bpfsh alone on large inputs: the flame graph, symbolization, a big map, many probes.
    private func measureLargeInputs(_ bench: Bench, into figures: inout Figures) {
        let settings = bench.settings
        if !settings.skips(.flame) {
            figures.flame = FlameBench(bench: bench).measure()
        }
        if !settings.skips(.jupyter) {
            log.say("jupyter: kernel start and print m round trips from jupyter_client")
            figures.jupyter = JupyterBench(bench: bench).measure()
        }
        if !settings.skips(.metrics) {
            log.say("metrics: scrapes of a \(MetricsBench.keys)-key counter and a histogram, one by one and 100 at once")
            figures.metrics = MetricsBench(bench: bench).measure()
        }
        if !settings.skips(.symbols) {
            log.say("symbols: \(SymbolizeBench.processes) processes x \(SymbolizeBench.stacksPerProcess) user stacks")
            figures.symbols = SymbolizeBench(bench: bench).measure()
        }
        if !settings.skips(.scale) {
            log.say("scale: top 20 of a \(TopOfBigMapBench.keys)-key map")
            figures.bigMap = TopOfBigMapBench(bench: bench).measure()
            log.say("scale: quit, drop and SIGTERM with \(ManyProbesQuitBench.probeCount) probes and with sys_enter_*")
            figures.manyProbes = ManyProbesQuitBench(bench: bench).measure()
        }
    }

    static func isInPath(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    static func loadAverage() -> String {
        ProcFS.readText("/proc/loadavg")?.split(separator: " ").first.map(String.init) ?? "?"
    }
}
