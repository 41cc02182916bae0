import Foundation

/// One line of clang's diagnostics, located in the user's cell when it points there.
public struct ClangMessage: Equatable, Sendable {
    public var severity: Diagnostic.Severity
    public var message: String
    /// The file clang names: a user-code name (bpfsh-body, bpfsh-cN) or generated code.
    public var file: String
    public var line: Int
    public var column: Int

    /// Parses `file:line:col: error: message` lines; other lines (source excerpts,
    /// carets, "N errors generated") are clang's own rendering and are dropped.
    public static func parse(_ output: String) -> [ClangMessage] {
        var messages: [ClangMessage] = []
        for raw in output.split(separator: "\n") {
            let line = String(raw)
            let parts = line.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5, let lineNumber = Int(parts[1]), let column = Int(parts[2]) else { continue }
            let kind = parts[3].trimmingCharacters(in: .whitespaces)
            let severity: Diagnostic.Severity
            switch kind {
            case "error", "fatal error": severity = .error
            case "warning": severity = .warning
            case "note": severity = .note
            default: continue
            }
            let file = String(parts[0])
            messages.append(ClangMessage(severity: severity, message: plainMessage(parts[4].trimmingCharacters(in: .whitespaces)),
                                         file: file,
                                         line: lineNumber, column: column))
        }
        return messages
    }

    /// Code-generation errors (the BPF backend's "unsupported signed division") point at
    /// the generated function; the note after them names the user's line ("could not
    /// determine the original source location for bpfsh-body:4:5"): move them there.
    static func locatedByNotes(_ messages: [ClangMessage]) -> [ClangMessage] {
        var result = messages
        let marker = "original source location for "
        for (index, message) in messages.enumerated() where message.severity == .error && index + 1 < messages.count {
            let note = messages[index + 1]
            guard note.severity == .note, let found = note.message.range(of: marker) else { continue }
            let location = note.message[found.upperBound...].split(separator: ":")
            guard location.count >= 3, let line = Int(location[1]), let column = Int(location[2]) else { continue }
            result[index].file = String(location[0])
            result[index].line = line
            result[index].column = column
        }
        return result
    }

    /// bpfsh's own checks are static assertions whose text is the message: drop clang's
    /// "static assertion failed due to requirement '…':" wrapper around it.
    static func plainMessage(_ message: String) -> String {
        guard message.hasPrefix("static assertion failed") else { return message }
        if let quoted = message.range(of: "': ", options: .backwards) { return String(message[quoted.upperBound...]) }
        if let colon = message.range(of: "failed: ") { return String(message[colon.upperBound...]) }
        return message
    }
}

/// clang refused the unit; the messages say why.
public struct CompileFailure: Error, Sendable {
    public var messages: [ClangMessage]
    /// clang's full output, for messages that point into generated code.
    public var output: String
}
