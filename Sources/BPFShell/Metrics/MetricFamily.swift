/// One metric family as the exposition formats describe it: a name, a type, help text
/// and samples. Built from a map at scrape time and written as text by `ExpositionWriter`.
public struct MetricFamily: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram, summary
    }

    /// One line: the family's name plus a suffix (`_total`, `_bucket`, `_count`, …).
    public struct Sample: Equatable, Sendable {
        public var suffix: String
        public var labels: [Label]
        public var value: MetricValue

        public init(suffix: String = "", labels: [Label], value: MetricValue) {
            self.suffix = suffix
            self.labels = labels
            self.value = value
        }
    }

    public struct Label: Equatable, Hashable, Sendable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The family's name without a type suffix (`bpfsh_calls`, whose samples are `bpfsh_calls_total`).
    public var name: String
    public var kind: Kind
    public var help: String
    public var samples: [Sample]

    public init(name: String, kind: Kind, help: String, samples: [Sample] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.samples = samples
    }
}

/// A sample's number: integers stay exact (a u64 counter past 2^53 must not round).
public enum MetricValue: Equatable, Sendable {
    case unsigned(UInt64)
    case signed(Int64)
    case real(Double)

    var text: String {
        switch self {
        case let .unsigned(value): return String(value)
        case let .signed(value): return String(value)
        case let .real(value):
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
            return String(value)
        }
    }
}
