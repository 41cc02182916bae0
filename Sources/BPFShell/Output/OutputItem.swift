/// Everything a command shows, as a value. Commands build items; one renderer per
/// format (terminal text, JSON lines, notebook text) turns them into what is written.
/// No command formats text for a terminal itself.
public enum OutputItem {
    /// A confirmation such as `p1 attached: …`, with facts a program can read.
    case status(Status)
    /// Columns and rows: `probes`, `maps`, `features`.
    case table(Table)
    /// A map's contents as `print` shows them: a table or histograms.
    case map(name: String, contents: MapContents, unit: DisplayUnit?)
    /// A stack-keyed map as folded stacks (`print MAP folded`): one line per stack in
    /// text, the frames as arrays in JSON.
    case folded(name: String, stacks: [FoldedStack], annotateKernel: Bool)
    /// Lines a command prints as they are: `list`, `info`, `show`, `help`, `history`.
    case text(command: String, lines: [String])
    /// The header `every` prints before each repetition.
    case interval(time: String)
    /// print() records the kernel dropped because the ring buffer was full.
    case lost(count: UInt64)
    /// Something the user should know that is not an error (a full map dropping updates).
    case warning(String)
    /// An error (or warning) about what the user typed, with the text it points into.
    case diagnostic(Diagnostic, SourceContext)
}

/// A command's confirmation: the sentence for people, the facts for programs.
public struct Status {
    public var command: String
    public var message: String
    /// Extra members of the JSON object, in order (probe name, timing, …).
    public var facts: [(String, JSONValue)]

    public init(command: String, message: String, facts: [(String, JSONValue)] = []) {
        self.command = command
        self.message = message
        self.facts = facts
    }
}

/// A table of cells that read as text on a terminal and as typed values in JSON.
public struct Table {
    public var command: String
    public var columns: [String]
    public var rows: [[Cell]]

    public struct Cell {
        public var display: String
        public var value: JSONValue

        public static func text(_ text: String) -> Cell { Cell(display: text, value: .string(text)) }
        public static func integer<T: BinaryInteger>(_ number: T) -> Cell {
            Cell(display: String(number), value: .integer(String(number)))
        }
        /// A figure shown rounded with a unit but kept exact for programs.
        public static func milliseconds(_ number: Double) -> Cell {
            Cell(display: String(format: "%.0f ms", number), value: JSONValue.milliseconds(number))
        }
        public static func optional(_ number: Int?, display: (Int) -> String) -> Cell {
            number.map { Cell(display: display($0), value: .integer(String($0))) } ?? Cell(display: "?", value: .null)
        }
    }

    public init(command: String, columns: [String], rows: [[Cell]]) {
        self.command = command
        self.columns = columns
        self.rows = rows
    }
}

/// Where a diagnostic's positions point: the cell's text, and where it sits in its file.
public struct SourceContext {
    public var sourceName: String
    public var text: String
    /// Added to a diagnostic's line to give the line in the script or session.
    public var lineOffset: Int
    /// The prompt's number for a command typed there: locations read "cell N, line L".
    public var cell: Int?

    public init(sourceName: String, text: String, lineOffset: Int, cell: Int? = nil) {
        self.sourceName = sourceName
        self.text = text
        self.lineOffset = lineOffset
        self.cell = cell
    }
}
