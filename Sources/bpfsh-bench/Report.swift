import Foundation

/// The table as the old bench/run.sh printed it (plus whether each target was met),
/// and bench/out/results.json.
struct Report {
    let rows: [ResultRow]
    let notes: [String]

    var table: String {
        func ratioText(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + fill : fill + text
        }
        // The old script's printf '%-32s %9s %9s %9s %9s %11s   %s'.
        func line(_ columns: [String]) -> String {
            [pad(columns[0], 32, left: true), pad(columns[1], 9), pad(columns[2], 9), pad(columns[3], 9),
             pad(columns[4], 9), pad(columns[5], 11)].joined(separator: " ") + "   " + columns[6]
        }
        var lines = ["", line(["measure", "bpfsh", "C ref", "bpftrace", "bpfsh/C", "bpftrace/C", "target"])]
        for row in rows {
            let verdict = row.isMet.map { $0 ? "  ok" : "  MISSED" } ?? ""
            lines.append(line([row.measure, row.bpfsh.tableText, row.reference.tableText, row.bpftrace.tableText,
                               ratioText(row.ratio), ratioText(row.bpftraceRatio), row.target.text + verdict]))
        }
        return (lines + [""] + notes).joined(separator: "\n") + "\n"
    }

    var missedTargets: [ResultRow] { rows.filter { $0.isMet == false } }

    func json(settings: BenchSettings, leftovers: Leftovers) -> Data {
        func value(_ figure: Figure) -> Any {
            switch figure {
            case let .number(number): return (number * 1000).rounded() / 1000
            case let .word(word): return word
            case .missing: return NSNull()
            }
        }
        func optional(_ number: Double?) -> Any { number.map { ($0 * 1000).rounded() / 1000 } ?? NSNull() }
        let rowObjects: [[String: Any]] = rows.map { row in
            ["measure": row.measure, "key": row.key, "bpfsh": value(row.bpfsh), "c_ref": value(row.reference),
             "bpftrace": value(row.bpftrace), "ratio": optional(row.ratio), "bpftrace_ratio": optional(row.bpftraceRatio),
             "target": row.target.text, "checked": row.isMet != nil, "pass": row.isMet.map { $0 as Any } ?? NSNull()]
        }
        let object: [String: Any] = [
            "rows": rowObjects,
            "passed": missedTargets.isEmpty && leftovers.isEmpty,
            "leftovers": ["programs": leftovers.programs.sorted(), "maps": leftovers.maps.sorted()],
            "settings": ["bpfsh": settings.bpfsh, "calls": settings.calls, "rounds": settings.rounds,
                         "probes": settings.probes, "starts": settings.starts, "script_runs": settings.scriptRuns,
                         "quits": settings.quits, "cpu": settings.cpu.map { $0 as Any } ?? NSNull(),
                         "print_rates": settings.printRates, "print_seconds": settings.printSeconds,
                         "print_max_calls": settings.printMaxCalls,
                         "flame_runs": settings.flameRuns,
                         "flamegraph_pl": settings.flamegraphPL.map { $0 as Any } ?? NSNull(),
                         "skipped": settings.skipped.map(\.rawValue).sorted()],
            "notes": notes,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
