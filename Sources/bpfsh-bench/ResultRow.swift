import Foundation

/// One figure in the table: a number, a word ("exact"), or missing ("n/a").
enum Figure {
    case number(Double)
    case word(String)
    case missing

    init(_ value: Double?) { self = value.map(Figure.number) ?? .missing }

    var number: Double? {
        if case let .number(value) = self { return value }
        return nil
    }

    var tableText: String {
        switch self {
        case let .number(value): return value.oneDecimal
        case let .word(text): return text
        case .missing: return "n/a"
        }
    }
}

/// A DESIGN.md target ("Numbers it must reach"), checked against a row.
enum Target {
    /// bpfsh / C ref at most this.
    case ratioAtMost(Double)
    /// bpfsh's figure at most (or below) this.
    case atMost(Double, unit: String)
    case below(Double, unit: String)
    case atLeast(Double, unit: String)
    /// bpfsh's figure is the word "exact".
    case exact
    /// No target: the row is for information.
    case none(String)

    var text: String {
        switch self {
        case let .ratioAtMost(limit): return "bpfsh/C <= \(limit)"
        case let .atMost(limit, unit): return "<= \(Self.format(limit)) \(unit)"
        case let .below(limit, unit): return "< \(Self.format(limit)) \(unit)"
        case let .atLeast(limit, unit): return ">= \(Self.format(limit)) \(unit)"
        case .exact: return "lines+lost = calls"
        case let .none(text): return text
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// nil for information rows; false when the figure is missing.
    func isMet(bpfsh: Figure, ratio: Double?) -> Bool? {
        switch self {
        case .none: return nil
        case let .ratioAtMost(limit): return ratio.map { $0 <= limit } ?? false
        case let .atMost(limit, _): return bpfsh.number.map { $0 <= limit } ?? false
        case let .below(limit, _): return bpfsh.number.map { $0 < limit } ?? false
        case let .atLeast(limit, _): return bpfsh.number.map { $0 >= limit } ?? false
        case .exact: if case .word("exact") = bpfsh { return true } else { return false }
        }
    }
}

/// A row of the table and of results.json.
struct ResultRow {
    let measure: String
    /// A stable name for results.json.
    let key: String
    let bpfsh: Figure
    let reference: Figure
    let bpftrace: Figure
    let target: Target
    /// Whether bpfsh was measured at all (skipped parts are not failures).
    var isChecked = true

    var ratio: Double? { Statistics.ratio(bpfsh.number, reference.number) }
    var bpftraceRatio: Double? { Statistics.ratio(bpftrace.number, reference.number) }

    /// true / false against the target; nil for information rows and unchecked ones.
    var isMet: Bool? { isChecked ? target.isMet(bpfsh: bpfsh, ratio: ratio) : nil }
}
