import Foundation

/// Feeds a script's lines to a session: gathers multi-line blocks, keeps line numbers
/// for diagnostics (`FILE:LINE:COL: error`), substitutes `$1`…`$9` and stops at the
/// first failing command.
public struct ScriptRunner {
    public static let maximumLineBytes = 1 << 20

    public enum ScriptError: Error, Equatable {
        case cannotRead(String)
        case notText
    }

    /// Reads a script file, refusing directories, binaries and files that are not UTF-8.
    public static func read(_ path: String) throws(ScriptError) -> String {
        // Follow a link to what it names; then only a regular file is read (a FIFO or a
        // device would block or never end).
        let kind = FileKind(path: URL(fileURLWithPath: path).resolvingSymlinksInPath().path)
        switch kind {
        case .missing: throw .cannotRead("no such file")
        case .regular: break
        case .directory: throw .cannotRead("it is a directory")
        default: throw .cannotRead("it is \(kind.description), not a regular file")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .cannotRead("permission denied") }
        guard !data.contains(0), let text = String(data: data, encoding: .utf8) else { throw .notText }
        return text
    }

    /// Replaces `$1`…`$9` with the script's arguments (missing ones stay as typed, so
    /// the error names them).
    public static func substitute(_ line: String, arguments: [String]) -> String {
        guard line.contains("$"), !arguments.isEmpty else { return line }
        var result = ""
        var characters = Array(line)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "$", index + 1 < characters.count, let digit = characters[index + 1].wholeNumberValue,
               digit >= 1, digit <= arguments.count {
                result += arguments[digit - 1]
                index += 2
                continue
            }
            result.append(character)
            index += 1
        }
        characters = []
        return result
    }

    /// Runs `text` in `session`; returns false at the first failing command.
    @discardableResult
    public static func run(_ text: String, in session: Session, sourceName: String, arguments: [String] = []) -> Bool {
        let wasRunningScript = session.isRunningScript
        session.isRunningScript = true
        defer { session.isRunningScript = wasRunningScript }
        var gatherer = CommandGatherer()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            if session.isFinished || session.isInterrupted { break }
            let lineNumber = index + 1
            if rawLine.utf8.count > maximumLineBytes {
                session.report(.error("line \(lineNumber) is longer than 1 MiB; not run"),
                               source: SourceContext(sourceName: sourceName, text: "", lineOffset: 0))
                return false
            }
            let line = substitute(String(rawLine), arguments: arguments)
            if !gatherer.isGathering, Session.isProse(line) {
                session.addProse(line)
                continue
            }
            guard let chunk = gatherer.add(line, lineNumber: lineNumber) else { continue }
            // Ctrl-C outside a run (during a compile, a print) counts toward ending the script.
            if Signals.takeInterrupt() {
                session.interruptsInScript += 1
                if session.interruptsInScript >= 2 {
                    session.report(.error("interrupted: the script ends before line \(lineNumber)"),
                                   source: SourceContext(sourceName: sourceName, text: "", lineOffset: 0))
                    return false
                }
            }
            guard session.execute(chunk, sourceName: sourceName) else { return false }
        }
        if let unclosed = gatherer.finish() {
            return session.execute(unclosed, sourceName: sourceName)
        }
        return true
    }
}
