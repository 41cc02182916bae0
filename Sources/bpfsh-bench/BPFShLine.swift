import Foundation

/// bpfsh's own timing of one `probe` command.
struct ProbeTiming {
    let probe: String
    let totalMs: Double
    var compileMs: Double?
    var loadMs: Double?
    var attachMs: Double?
    var isCached: Bool?
    /// Points the probe attached to (a wildcard attaches many); nil when not said.
    var programs: Int?
}

/// What one line of bpfsh's output means to the benchmark.
enum BPFShLine {
    case attached(ProbeTiming)
    case error(String)
    /// print() records lost (a JSON `lost` object).
    case lost(Int)
    /// `time COMMAND` finished: the command's name and bpfsh's own elapsed time.
    case timed(command: String, ms: Double)
    case other

    /// A line of `bpfsh --json`: every line is one object with a "type"; the timing of
    /// a probe is in its status object.
    static func parseJSON(_ line: String) -> BPFShLine {
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(line.utf8)) else { return .other }
        switch message.type {
        case "status" where message.command == "probe":
            guard let timing = message.timing, let total = timing.totalMs else { return .other }
            return .attached(ProbeTiming(probe: message.probe ?? "", totalMs: total, compileMs: timing.compileMs,
                                         loadMs: timing.loadMs, attachMs: timing.attachMs, isCached: timing.cached,
                                         programs: message.programs))
        case "status" where message.command == "time":
            guard let elapsed = message.elapsedMs else { return .other }
            return .timed(command: message.timed ?? "", ms: elapsed)
        case "error": return .error(message.message ?? line)
        case "lost": return .lost(message.count ?? 0)
        default: return .other
        }
    }

    /// The value of the row keyed `key` in a `{"type":"map",…,"rows":[{"key":K,"value":V},…]}`
    /// line (what `print MAP` answers in JSON); nil for other lines or when no row has it.
    /// The whole line is not worth logging: a map keyed by file names has hundreds of rows.
    static func mapValue(in line: String, key: String) -> Int? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
              object["type"] as? String == "map", let rows = object["rows"] as? [[String: Any]] else { return nil }
        return rows.first { $0["key"] as? String == key }?["value"] as? Int
    }

    /// A line of bpfsh in text mode (what a user sees; the print() rows run it so):
    /// `p1 attached: SPEC (1 program) in 41.0 ms (compile 33.0 ms, load 5.0 ms, attach 0.3 ms)`.
    static func parseText(_ line: String) -> BPFShLine {
        if line.contains("error:") || line.contains("Error:") { return .error(line) }
        guard let attached = line.range(of: " attached: "),
              let total = number(after: " in ", before: " ms", in: line[attached.upperBound...]) else { return .other }
        var timing = ProbeTiming(probe: String(line[..<attached.lowerBound]), totalMs: total)
        timing.compileMs = number(after: "compile ", before: " ms", in: line[...])
        timing.loadMs = number(after: "load ", before: " ms", in: line[...])
        timing.attachMs = number(after: "attach ", before: " ms", in: line[...])
        timing.isCached = line.contains(", cached")
        return .attached(timing)
    }

    /// The number between the last `prefix` and the `suffix` that follows it.
    private static func number(after prefix: String, before suffix: String, in text: Substring) -> Double? {
        guard let start = text.range(of: prefix, options: .backwards),
              let end = text[start.upperBound...].range(of: suffix) else { return nil }
        return Double(text[start.upperBound..<end.lowerBound])
    }

    /// The fields of bpfsh's JSON objects the benchmark reads.
    private struct Message: Decodable {
        let type: String
        let command: String?
        let probe: String?
        let message: String?
        let count: Int?
        let timing: Timing?
        let programs: Int?
        let timed: String?
        let elapsedMs: Double?

        enum CodingKeys: String, CodingKey {
            case type, command, probe, message, count, timing, programs, timed, elapsedMs = "elapsed_ms"
        }

        struct Timing: Decodable {
            let totalMs: Double?
            let compileMs: Double?
            let loadMs: Double?
            let attachMs: Double?
            let cached: Bool?

            enum CodingKeys: String, CodingKey {
                case totalMs = "total_ms", compileMs = "compile_ms", loadMs = "load_ms", attachMs = "attach_ms", cached
            }
        }
    }
}

/// The count in bpfsh's `warning: N print() records lost` line (`,` `_` `'` allowed).
func lostCount(inWarning line: String) -> Int? {
    guard let start = line.range(of: "warning: "), let end = line.range(of: " print() records lost") else { return nil }
    let digits = line[start.upperBound..<end.lowerBound].filter { $0 != "," && $0 != "_" && $0 != "'" }
    return Int(digits)
}
