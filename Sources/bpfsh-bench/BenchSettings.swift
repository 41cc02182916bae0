import Foundation

/// Parts of the benchmark that `BENCH_SKIP` / `--skip` can leave out.
enum BenchPart: String, CaseIterable {
    case bpftrace, bpfsh, perevent, startup, print
    /// The flame graph of 100,000 stacks (and flamegraph.pl when given).
    case flame
    /// Symbolizing 10,000 user stacks of 50 processes that have exited.
    case symbols
    /// Top 20 of a 1,000,000-key map; quit, drop and SIGTERM with many probes.
    case scale
    /// bpfsh as a Jupyter kernel, from a jupyter_client.
    case jupyter
    /// The metrics endpoint scraped by curl (one at a time, and 100 at once).
    case metrics
}

/// Every knob of a run, resolved from flags, then `BENCH_*` environment variables,
/// then defaults (the variables are what bench/README.md has always documented).
struct BenchSettings {
    var bpfsh: String
    var root: String
    /// Syscalls per per-event run (getppid; openat for the str row).
    var calls = 5_000_000
    /// Rounds per per-event measurement (BENCH_N=1000000 BENCH_REPS=15 resolves 5 %).
    var rounds = 3
    /// Probes for the enter->attached and cache medians.
    var probes = 11
    /// Start-ups of the references (C ref to "ready", bpftrace start to exit).
    var starts = 5
    /// Runs of the one-probe script (bpfsh and the C loader, taking turns).
    var scriptRuns = 11
    /// The CPU the workloads are pinned to; nil: no pinning.
    var cpu: Int? = 1
    /// Longest life of any process we start, seconds.
    var timeout = 60.0
    /// Start-to-quit runs.
    var quits = 11
    var printRates = [100_000, 250_000, 500_000, 750_000, 1_000_000, 2_000_000]
    var printSeconds = 2.0
    var printMaxCalls = 4_000_000
    var skipped: Set<BenchPart> = []
    /// flamegraph.pl to run on the same folded input as `flame`; nil: not given.
    var flamegraphPL: String?
    /// bpfsh runs of the flame graph row (median time, highest peak).
    var flameRuns = 3

    var bench: String { root + "/bench" }
    var out: String { bench + "/out" }
    var logs: String { out + "/logs" }

    func skips(_ part: BenchPart) -> Bool { skipped.contains(part) }
}

extension BenchSettings {
    /// Reads `BENCH_*` and `BPFSH` from the environment over the defaults.
    static func fromEnvironment(root: String) throws -> BenchSettings {
        let env = ProcessInfo.processInfo.environment
        var settings = BenchSettings(bpfsh: root + "/.build/release/bpfsh", root: root)
        if let path = env["BPFSH"], !path.isEmpty { settings.bpfsh = path }
        func integer(_ name: String, _ value: inout Int) throws {
            guard let text = env[name], !text.isEmpty else { return }
            guard let number = Int(text), number >= 0 else { throw SettingsError(name: name, text: text) }
            value = number
        }
        try integer("BENCH_N", &settings.calls)
        try integer("BENCH_REPS", &settings.rounds)
        try integer("BENCH_PROBES", &settings.probes)
        try integer("BENCH_STARTS", &settings.starts)
        try integer("BENCH_SCRIPT_RUNS", &settings.scriptRuns)
        try integer("BENCH_QUITS", &settings.quits)
        try integer("BENCH_PRINT_N", &settings.printMaxCalls)
        try integer("BENCH_FLAME_RUNS", &settings.flameRuns)
        if let path = env["BENCH_FLAMEGRAPH_PL"], !path.isEmpty { settings.flamegraphPL = path }
        if let text = env["BENCH_CPU"] {
            // Set but empty means "do not pin", as in the old script.
            if text.isEmpty { settings.cpu = nil } else {
                guard let cpu = Int(text) else { throw SettingsError(name: "BENCH_CPU", text: text) }
                settings.cpu = cpu
            }
        }
        if let text = env["BENCH_TIMEOUT"], !text.isEmpty {
            guard let seconds = Double(text) else { throw SettingsError(name: "BENCH_TIMEOUT", text: text) }
            settings.timeout = seconds
        }
        if let text = env["BENCH_PRINT_SECS"], !text.isEmpty {
            guard let seconds = Double(text) else { throw SettingsError(name: "BENCH_PRINT_SECS", text: text) }
            settings.printSeconds = seconds
        }
        if let text = env["BENCH_PRINT_RATES"], !text.isEmpty {
            settings.printRates = try parseRates(text, name: "BENCH_PRINT_RATES")
        }
        if let text = env["BENCH_SKIP"] { settings.skipped = try parseParts(text) }
        return settings
    }

    static func parseRates(_ text: String, name: String) throws -> [Int] {
        let rates = text.split(whereSeparator: { $0 == " " || $0 == "," }).map { Int($0) }
        guard !rates.isEmpty, rates.allSatisfy({ ($0 ?? 0) > 0 }) else { throw SettingsError(name: name, text: text) }
        return rates.compactMap { $0 }
    }

    static func parseParts(_ text: String) throws -> Set<BenchPart> {
        var parts: Set<BenchPart> = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            guard let part = BenchPart(rawValue: String(word)) else {
                throw SettingsError(name: "skip", text: String(word),
                                    expected: BenchPart.allCases.map(\.rawValue).joined(separator: " "))
            }
            parts.insert(part)
        }
        return parts
    }
}

struct SettingsError: Error, CustomStringConvertible {
    let name: String
    let text: String
    var expected = "a number"
    var description: String { "\(name): '\(text)' is not valid (expected \(expected))" }
}
