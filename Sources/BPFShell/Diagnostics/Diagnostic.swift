/// A position in what the user typed: 1-based line and column.
public struct SourceLocation: Equatable, Comparable, Sendable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// A span of what the user typed; `end` is exclusive and on the same line for underlining.
public struct SourceRange: Equatable, Sendable {
    public var start: SourceLocation
    public var end: SourceLocation

    public init(start: SourceLocation, end: SourceLocation) {
        self.start = start
        self.end = end
    }

    public init(line: Int, column: Int, length: Int) {
        start = SourceLocation(line: line, column: column)
        end = SourceLocation(line: line, column: column + max(length, 1))
    }
}

/// One message for the user: what went wrong, where, and what to do about it.
public struct Diagnostic: Error, Equatable, Sendable {
    public enum Severity: String, Sendable {
        case error, warning, note
    }

    public var severity: Severity
    public var message: String
    public var range: SourceRange?
    public var hints: [String]
    /// Extra lines shown under the message verbatim (for example a verifier excerpt).
    public var details: [String]
    /// The input cell the range refers to when it is not the command being run
    /// (an error in a `c { }` block typed earlier).
    public var cell: Int?

    public init(_ severity: Severity = .error, _ message: String, at range: SourceRange? = nil,
                hints: [String] = [], details: [String] = []) {
        self.severity = severity
        self.message = message
        self.range = range
        self.hints = hints
        self.details = details
    }

    public static func error(_ message: String, at range: SourceRange? = nil, hint: String? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: range, hints: hint.map { [$0] } ?? [])
    }
}

/// Errors that carry several diagnostics (a C compile can report many at once).
public struct DiagnosticList: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
