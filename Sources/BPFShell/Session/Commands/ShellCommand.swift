/// One REPL command: how it is written, what it does, and whether `save` keeps it.
protocol ShellCommand {
    static var name: String { get }
    static var aliases: [String] { get }
    static var summary: String { get }
    static var usage: String { get }
    static var example: String { get }
    /// Whether a saved script keeps this command (it builds or uses session state).
    static var isRecorded: Bool { get }
    /// Whether it needs live kernel objects (skipped, and said so, in a dry run).
    static var needsKernel: Bool { get }

    init(_ syntax: CommandSyntax) throws
    func execute(in session: Session, cell: Int) throws
}

extension ShellCommand {
    static var aliases: [String] { [] }
    static var isRecorded: Bool { true }
    static var needsKernel: Bool { false }
}

/// Every command, in the order `help` lists them.
enum CommandRegistry {
    static let all: [ShellCommand.Type] = [
        CCommand.self, MapCommand.self, ProbeCommand.self, RunCommand.self, PrintCommand.self, ClearCommand.self,
        ProbesCommand.self, MapsCommand.self, ShowCommand.self, DetachCommand.self, AttachCommand.self,
        DropCommand.self, EveryCommand.self, EchoCommand.self, TimeCommand.self, SetCommand.self, HistoryCommand.self, SaveCommand.self, LoadCommand.self,
        ExportCommand.self, FlameCommand.self, ServeCommand.self, ListCommand.self, TutorialCommand.self, InfoCommand.self, FeaturesCommand.self, HelpCommand.self, QuitCommand.self,
    ]

    static var names: [String] { all.flatMap { [$0.name] + $0.aliases } }

    static func command(named name: String) -> ShellCommand.Type? {
        all.first { $0.name == name || $0.aliases.contains(name) }
    }
}

extension CommandSyntax {
    /// Throws unless the command has exactly `count` words after its name.
    func expectArguments(_ count: ClosedRange<Int>, usage: String) throws(Diagnostic) {
        guard count.contains(arguments.count) else {
            let where_ = arguments.count > count.upperBound ? arguments[count.upperBound].range : range
            throw Diagnostic.error(arguments.count > count.upperBound ? "too many arguments to '\(name.text)'"
                                       : "'\(name.text)' needs more arguments",
                                   at: where_, hint: "usage: \(usage)")
        }
        if let block {
            throw Diagnostic.error("'\(name.text)' takes no { } block", at: block.range, hint: "usage: \(usage)")
        }
    }
}

/// Parses "500ms", "2s", "1m", "1.5s". A bare number is refused: `run 5` could mean
/// seconds or milliseconds, and a wrong guess silently measures the wrong thing.
enum DurationParser {
    static let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000001), ("s", 1), ("m", 60), ("h", 3600)]
    /// A year: longer is a typo, and nanosecond counts must stay far inside 64 bits.
    static let maximumSeconds: Double = 365 * 24 * 3600

    static func seconds(_ text: String) -> Double? {
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // Digits and a point only: Double() would also take "inf", "nan" and "1e30".
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  let value = Double(number), value.isFinite, value * scale <= maximumSeconds else { continue }
            return value * scale
        }
        return nil
    }

    /// The hint for a duration typed without its unit ("5" → "write 5s or 5ms"), or too long.
    static func hint(for text: String) -> String {
        if Double(text) != nil { return "a duration needs a unit: write \(text)s or \(text)ms" }
        if units.contains(where: { text.hasSuffix($0.0) && Double(text.dropLast($0.0.count)) != nil }) {
            return "durations are written with digits (1.5s, 250ms) and go up to a year (8760h)"
        }
        return "write 500ms, 2s, 1.5s or 1m"
    }
}
