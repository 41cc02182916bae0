import Foundation

/// The rows and notes of the parts where bpfsh works alone on large inputs: the flame
/// graph of 100,000 stacks, symbolizing 10,000 user stacks, the top of a 1,000,000-key
/// map, leaving a session with many probes.
extension ReportBuilder {
    func largeInputRows() -> [ResultRow] {
        flameRows() + symbolRows() + scaleRows() + jupyterRows() + metricsRows()
    }

    private func metricsRows() -> [ResultRow] {
        guard isChecked(.metrics) else { return [] }
        let metrics = figures.metrics
        return [
            ResultRow(measure: "metrics scrape 10k keys + hist ms", key: "metrics_scrape_ms",
                      bpfsh: Figure(metrics?.scrapeMs), reference: .word("-"), bpftrace: .word("-"),
                      target: .none("median of 21 on one connection; \(metrics?.scrapeBytes.map { "\($0 / 1024) KB" } ?? "?") a scrape")),
            ResultRow(measure: "metrics 100 scrapes at once ms", key: "metrics_100_concurrent_ms",
                      bpfsh: Figure(metrics?.concurrentMs), reference: .word("-"), bpftrace: .word("-"),
                      target: .none("wall time; \(metrics?.concurrentAnswered.map(String.init) ?? "?")/100 answered 200")),
        ]
    }

    private func jupyterRows() -> [ResultRow] {
        guard isChecked(.jupyter) else { return [] }
        let jupyter = figures.jupyter
        return [
            ResultRow(measure: "jupyter kernel start ms", key: "jupyter_ready_ms",
                      bpfsh: Figure(jupyter?.readyMs), reference: .word("-"), bpftrace: .word("-"),
                      target: .atMost(300, unit: "ms (start to kernel_info_reply)")),
            ResultRow(measure: "jupyter print 1k map ms", key: "jupyter_print_ms",
                      bpfsh: Figure(jupyter?.printMs), reference: .word("-"), bpftrace: .word("-"),
                      target: .atMost(20, unit: "ms (execute_request to reply, median)")),
        ]
    }

    private func isChecked(_ part: BenchPart) -> Bool { bench.hasBPFsh && !settings.skips(part) }

    private func flameRows() -> [ResultRow] {
        guard isChecked(.flame) else { return [] }
        let flame = figures.flame
        let bpfsh = flame?.bpfsh
        // flamegraph.pl sits in the C ref column, so that bpfsh/C reads as the ratio.
        func reference(_ value: (FlameBench.Render) -> Double?) -> Figure {
            guard let perl = flame?.flamegraphPL else { return .word("not given") }
            return Figure(value(perl))
        }
        return [
            ResultRow(measure: "flame 100k stacks ms", key: "flame_100k_ms",
                      bpfsh: Figure(bpfsh?.seconds.map { $0 * 1000 }), reference: reference { $0.seconds.map { $0 * 1000 } },
                      bpftrace: .word("-"), target: .atMost(2200, unit: "ms (flamegraph.pl 22.4 s / 10)")),
            ResultRow(measure: "flame 100k stacks peak RSS MB", key: "flame_100k_peak_mb",
                      bpfsh: Figure(bpfsh?.peakMB), reference: reference(\.peakMB), bpftrace: .word("-"),
                      target: .below(300, unit: "MB")),
            ResultRow(measure: "flame 100k stacks SVG MB", key: "flame_100k_svg_mb",
                      bpfsh: Figure(bpfsh?.svgMB), reference: reference(\.svgMB), bpftrace: .word("-"),
                      target: .below(5, unit: "MB")),
        ]
    }

    private func symbolRows() -> [ResultRow] {
        guard isChecked(.symbols) else { return [] }
        let symbols = figures.symbols
        let stacks = symbols?.stacks
        // Unnamed frames count only if the workload's own functions were named at all.
        let unnamed = stacks.flatMap { $0.workloadFrames > 0 ? Double($0.unnamedFrames) : nil }
        let made = SymbolizeBench.processes * SymbolizeBench.stacksPerProcess
        return [
            ResultRow(measure: "symbolize 10k ustacks warm ms", key: "symbolize_warm_ms",
                      bpfsh: Figure(symbols?.warmMs), reference: .word("-"), bpftrace: .word("-"),
                      target: .below(200, unit: "ms")),
            ResultRow(measure: "symbolize: stacks in the map", key: "symbolize_stacks",
                      bpfsh: Figure(stacks.map { Double($0.stacks) }), reference: .word("-"), bpftrace: .word("-"),
                      target: .none("- (the workload makes \(made))")),
            ResultRow(measure: "symbolize: unnamed frames", key: "symbolize_unnamed_frames",
                      bpfsh: Figure(unnamed), reference: .word("-"), bpftrace: .word("-"),
                      target: .atMost(0, unit: "frames")),
        ]
    }

    private func scaleRows() -> [ResultRow] {
        guard isChecked(.scale) else { return [] }
        let bigMap = figures.bigMap
        var rows = [
            ResultRow(measure: "top 20 of 1M-key map ms", key: "top20_1m_ms",
                      bpfsh: Figure(bigMap?.ms), reference: .word("-"), bpftrace: .word("-"),
                      target: .below(500, unit: "ms")),
            ResultRow(measure: "top 20 of 1M-key map +HWM MB", key: "top20_1m_hwm_growth_mb",
                      bpfsh: Figure(bigMap?.hwmGrowthMB), reference: .word("-"), bpftrace: .word("-"),
                      target: .below(80, unit: "MB")),
            ResultRow(measure: "print all of 1M-key map ms", key: "print_1m_ms",
                      bpfsh: Figure(bigMap?.fullMs), reference: .word("-"), bpftrace: .word("-"),
                      target: .none("streamed (--json: one 30 MB line)")),
            ResultRow(measure: "print all of 1M-key map +HWM MB", key: "print_1m_hwm_growth_mb",
                      bpfsh: Figure(bigMap?.fullHWMGrowthMB), reference: .word("-"), bpftrace: .word("-"),
                      target: .none("over the top-20 peak; was 345 MB whole")),
        ]
        let probes = figures.manyProbes
        let sets: [(name: String, key: String, timings: ManyProbesQuitBench.Timings?, limit: Double)] = [
            ("\(ManyProbesQuitBench.probeCount) probes", "20_probes", probes?.twentyProbes, 150),
            ("\(probes?.wildcard.points.map(String.init) ?? "?") points", "wildcard", probes?.wildcard, 1000),
        ]
        for set in sets {
            for ending in ManyProbesQuitBench.Ending.allCases {
                let label = ending == .sigterm ? "SIGTERM" : ending.rawValue
                rows.append(ResultRow(measure: "\(label), \(set.name) ms", key: "\(ending.rawValue)_\(set.key)_ms",
                                      bpfsh: Figure(set.timings?.ms[ending]), reference: .word("-"), bpftrace: .word("-"),
                                      target: .atMost(set.limit, unit: "ms")))
            }
        }
        return rows
    }

    func largeInputNotes() -> [String] {
        var notes: [String] = []
        func number(_ value: Double?) -> String { value?.oneDecimal ?? "n/a" }
        if isChecked(.flame), let flame = figures.flame {
            notes += [
                "flame: `bpfsh --json SCRIPT` with `time flame IN.folded OUT.svg -f`, exec to exit, median of "
                    + "\(settings.flameRuns) (highest peak RSS);",
                "  input \((flame.input as NSString).lastPathComponent), \(number(flame.inputMB)) MB, 100,000 distinct stacks "
                    + "of depth 20-60; bpfsh's own `time flame`: \(number(flame.bpfshOwnSeconds.map { $0 * 1000 })) ms.",
            ]
            if let perl = flame.flamegraphPL {
                let ratio = Statistics.ratio(perl.seconds, flame.bpfsh.seconds)
                notes.append("  flamegraph.pl (\(settings.flamegraphPL ?? "")): \(number(perl.seconds)) s, "
                    + "\(number(perl.peakMB)) MB; bpfsh is \(ratio.map { String(format: "%.1f", $0) } ?? "n/a")x faster.")
            } else {
                notes.append("  flamegraph.pl: not given (BENCH_FLAMEGRAPH_PL)")
            }
        }
        if isChecked(.symbols), let symbols = figures.symbols {
            notes += [
                "symbolize: bench/ustack_procs forks \(SymbolizeBench.processes) processes of \(SymbolizeBench.stacksPerProcess) "
                    + "distinct getppid stacks each, all exited before `time print us` (cold \(number(symbols.coldMs)) ms,",
                "  then warm, median of 3); " + (symbols.stacks?.summary ?? "no map printed"),
            ]
        }
        if isChecked(.scale) {
            let bigMap = figures.bigMap
            notes.append("top 20: `time print h top 20` of count<u32> size 1100000 after "
                + "\(bigMap?.calls.map(String.init) ?? "n/a") getppid calls, one key each "
                + "(\(bigMap?.rowsShown.map(String.init) ?? "no") rows shown); +HWM = VmHWM after - before.")
            if let probes = figures.manyProbes {
                notes += [
                    "quit/drop/SIGTERM: a session per run, medians of \(ManyProbesQuitBench.runs): quit = `quit` written to exit;",
                    "  drop = `drop pN` of every probe, first written to last answered; SIGTERM = sent to exit.",
                    "  \(ManyProbesQuitBench.probeCount) probes: \(probes.tracepoints.first ?? "") and "
                        + "\(probes.tracepoints.count - 1) more in name order; wildcard: sys_enter_* "
                        + "(\(probes.wildcard.points.map(String.init) ?? "n/a") points attached).",
                ]
            }
        }
        return notes
    }
}
