import Foundation

/// Turns the figures into the table's rows (with their DESIGN.md targets) and the notes
/// under it.
struct ReportBuilder {
    let bench: Bench
    let figures: BenchRun.Figures
    let leftovers: Leftovers
    let loadAverages: (start: String, end: String)

    var settings: BenchSettings { bench.settings }

    func report() -> Report {
        Report(rows: rows(), notes: notes())
    }

    func rows() -> [ResultRow] {
        let startupChecked = bench.hasBPFsh && !settings.skips(.startup)
        var rows: [ResultRow] = []
        for mode in PerEventMode.allCases {
            let cost = figures.perEvent[mode]?.cost ?? [:]
            rows.append(ResultRow(measure: mode.measure, key: mode.key,
                                  bpfsh: Figure(cost["bpfsh"]), reference: Figure(cost["ref"]),
                                  bpftrace: Figure(cost["bpftrace"]), target: .ratioAtMost(1.05),
                                  isChecked: bench.hasBPFsh && !settings.skips(.perevent)))
        }
        let startup = figures.bpfshStartup
        let memory = figures.bpfshMemory
        rows += [
            ResultRow(measure: "enter->attached warm median ms", key: "enter_attached_warm_ms",
                      bpfsh: Figure(startup.warmMs), reference: Figure(figures.refStartMs),
                      bpftrace: Figure(figures.bpftraceStartMs), target: .atMost(50, unit: "ms"), isChecked: startupChecked),
            ResultRow(measure: "same probe again (cache) ms", key: "cache_hit_ms", bpfsh: Figure(startup.cachedMs),
                      reference: .word("-"), bpftrace: .word("-"), target: .atMost(5, unit: "ms"), isChecked: startupChecked),
            ResultRow(measure: "first probe, cold cache ms", key: "cold_cache_ms", bpfsh: Figure(startup.coldMs),
                      reference: .word("-"), bpftrace: .word("-"), target: .atMost(3000, unit: "ms (start->attached)"),
                      isChecked: startupChecked),
            ResultRow(measure: "script start->attached->exit ms", key: "script_start_attached_exit_ms",
                      bpfsh: Figure(figures.script.bpfshMs), reference: Figure(figures.script.referenceMs),
                      bpftrace: Figure(figures.bpftraceStartMs), target: .ratioAtMost(1.2), isChecked: startupChecked),
            ResultRow(measure: "start to quit ms", key: "start_to_quit_ms", bpfsh: Figure(memory.quitMs),
                      reference: .word("-"), bpftrace: Figure(figures.bpftraceQuitMs),
                      target: .below(50, unit: "ms (start to prompt)"), isChecked: startupChecked),
            ResultRow(measure: "idle RSS MB", key: "idle_rss_mb", bpfsh: Figure(memory.idleRSSMB),
                      reference: Figure(figures.refRSSMB), bpftrace: Figure(figures.bpftracePeakMB),
                      target: .below(30, unit: "MB"), isChecked: startupChecked),
            ResultRow(measure: "RSS with one probe MB", key: "one_probe_rss_mb", bpfsh: Figure(memory.oneProbeRSSMB),
                      reference: Figure(figures.refRSSMB), bpftrace: .word("-"), target: .below(30, unit: "MB"),
                      isChecked: startupChecked),
        ]
        guard !settings.skips(.print) else { return rows + largeInputRows() }
        let print = figures.print
        func thousands(_ value: Double?) -> Figure { Figure(value.map { $0 / 1000 }) }
        func tool(_ name: String, _ value: (PrintStreamBench.Figures) -> Figure) -> Figure {
            print[name].map(value) ?? .missing
        }
        let printChecked = bench.hasBPFsh
        rows += [
            ResultRow(measure: "print() zero-loss k ev/s", key: "print_zero_loss_kevs",
                      bpfsh: tool("bpfsh") { thousands(Double($0.zeroLossRate)) },
                      reference: tool("ref") { thousands(Double($0.zeroLossRate)) },
                      bpftrace: tool("bpftrace") { thousands(Double($0.zeroLossRate)) },
                      target: .none("- (paced workload tops out near 1 M/s)"), isChecked: printChecked),
            ResultRow(measure: "print() overload drained k ev/s", key: "print_overload_drained_kevs",
                      bpfsh: tool("bpfsh") { thousands($0.overloadDrained) },
                      reference: tool("ref") { thousands($0.overloadDrained) },
                      bpftrace: tool("bpftrace") { thousands($0.overloadDrained) },
                      target: .atLeast(1000, unit: "k/s drained"), isChecked: printChecked),
            ResultRow(measure: "print() lost counted exactly", key: "print_lost_counted",
                      bpfsh: tool("bpfsh") { $0.exactness.map(Figure.word) ?? .missing },
                      reference: tool("ref") { $0.exactness.map(Figure.word) ?? .missing },
                      bpftrace: tool("bpftrace") { $0.exactness.map(Figure.word) ?? .missing },
                      target: .exact, isChecked: printChecked),
            ResultRow(measure: "print() reader CPU ns/line", key: "print_reader_cpu_ns_per_line",
                      bpfsh: tool("bpfsh") { Figure($0.cpuNanosecondsPerLine) },
                      reference: tool("ref") { Figure($0.cpuNanosecondsPerLine) },
                      bpftrace: tool("bpftrace") { Figure($0.cpuNanosecondsPerLine) },
                      target: .none("-"), isChecked: printChecked),
        ]
        return rows + largeInputRows()
    }

    func notes() -> [String] {
        let cpu = settings.cpu.map(String.init) ?? "any"
        let tracepoint = Bench.tracepoint
        func number(_ value: Double?) -> String { value?.oneDecimal ?? "n/a" }
        var notes = [
            "per-event = ns per getppid with the probe attached minus with nothing attached (str count: per",
            "  openat of a missing path, counted by its filename) (\(settings.calls) calls per run, median over",
            "  \(settings.rounds) rounds of attached run - baseline run, taken in turns with the other tools, tool",
            "  restarted per run, CPU \(cpu)).",
            "start-up references: C ref = exec to \"ready\" (open, load, attach);",
            "  bpftrace = start to exit of '\(tracepoint) { @[comm] = count(); } interval:ms:1 { exit(); }';",
            "  both medians of \(settings.starts).",
        ]
        let startup = figures.bpfshStartup
        let memory = figures.bpfshMemory
        if bench.hasBPFsh {
            notes += [
                "bpfsh: warm and cache rows are bpfsh's own timing (status objects of --json; medians of \(settings.probes));",
                "  cold row = wall time from starting bpfsh with an empty XDG_CACHE_HOME to its status (bpfsh",
                "  itself said \(number(startup.coldOwnMs)) ms); start -> first probe attached with a warm cache: "
                    + "\(number(startup.warmStartMs)) ms.",
            ]
        }
        notes += [
            "script start->attached->exit: exec to exit of 'bpfsh --json SCRIPT' (map + probe + quit, object cache warm:",
            "  its first run, \(number(figures.script.firstRunMs)) ms, is not counted) and of the C loader 'ref count' with stdin",
            "  at EOF (open, load, attach, detach), taking turns, medians of \(settings.scriptRuns); bpftrace: as above.",
            "start to quit: wall time of `printf 'quit\\n' | bpfsh` and of `bpftrace -e 'BEGIN { exit(); }'`, medians",
            "  of \(settings.quits). idle RSS: bpfsh's VmRSS 1 s after start with stdin open (VmHWM \(number(memory.idleHWMMB)) MB; peak",
            "  of the 'quit' run \(number(memory.peakMB)) MB); RSS with one probe: the same bpfsh 0.5 s after 'map' + 'probe';",
            "  C ref: VmRSS of 'ref count' once attached; bpftrace: peak RSS of 'BEGIN { exit(); }'.",
        ]
        if !settings.skips(.print) {
            let rates = settings.printRates.map(String.init).joined(separator: ", ")
            notes += [
                "print(): getppid_rate on CPU \(cpu) at \(rates)/s for \(settings.printSeconds) s each, one line per",
                "  call (\"%d %llu\\n\", pid, nsecs) into a file on \(bench.sink.hasPrefix("/dev/shm") ? "tmpfs" : "disk");",
                "  zero-loss = highest rate with lines == calls, nothing reported lost and >= 95 % of the",
                "  rate reached with the probe on. C ref = bench/ref_print (libbpf ring buffer, 64 KiB stdio",
                "  buffer, kernel wakes it per 1 MiB of records). Overload = unpaced, <= \(settings.printMaxCalls) calls;",
                "  lost counted exactly = lines + lost == calls in the overload run and in one more where",
                "  the reader is stopped (SIGSTOP) for 0.5 s so that records must be lost.",
            ]
            for name in ["bpfsh", "ref", "bpftrace"] {
                guard let tool = figures.print[name] else { continue }
                notes.append("  \(name): \(tool.zeroLossWhy); overload \(tool.overloadNote);")
                notes.append("    reader stopped 0.5 s: \(tool.stallNote)")
            }
        }
        notes += largeInputNotes()
        notes.append("load average: \(loadAverages.start) at start, \(loadAverages.end) at end (the workload alone makes about 1)")
        let disturbed = figures.perEvent.values.map(\.disturbedRounds).reduce(0, +)
        if disturbed > 0 {
            notes += ["WARNING: in \(disturbed) rounds (after 3 tries each) another process had a BPF probe",
                      "  on a syscall tracepoint;", "  the per-event numbers are not reliable (see \(bench.log.path))"]
        }
        let streamDisturbed = figures.print.values.map(\.disturbedRuns).reduce(0, +)
        if streamDisturbed > 0 {
            notes += ["WARNING: in \(streamDisturbed) print() runs another process had a BPF probe on a syscall",
                      "  tracepoint (it may run on every getppid call); the print() numbers are not reliable"]
        }
        if leftovers.isEmpty {
            notes.append("leftovers: none (bpftool prog/map show list nothing new)")
        } else {
            notes.append("LEFTOVERS: programs \(leftovers.programs.sorted()) maps \(leftovers.maps.sorted()) still loaded after the run")
        }
        notes.append("details: \(bench.log.path), \(settings.logs)/")
        return notes
    }
}
