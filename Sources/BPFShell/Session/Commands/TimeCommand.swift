import Foundation

/// `time COMMAND …`: runs a command and says how long it took (a print of a big map,
/// a flame graph, a probe's compile), as a shell's `time` does.
struct TimeCommand: ShellCommand {
    static let name = "time"
    static let summary = "run a command and report how long it took"
    static let usage = "time COMMAND [ARGUMENTS…]"
    static let example = "time print opens top 10"

    let inner: CommandSyntax

    init(_ syntax: CommandSyntax) throws {
        guard let first = syntax.arguments.first else {
            throw Diagnostic.error("time needs a command to run", at: syntax.name.range, hint: "for example: \(Self.example)")
        }
        guard CommandRegistry.command(named: first.text) != nil else {
            throw Diagnostic(.error, "unknown command '\(first.text)'", at: first.range,
                             hints: [Suggestions.hint(for: first.text, in: CommandRegistry.names) ?? "type 'help' for the list of commands"])
        }
        guard !["time", "quit", "exit"].contains(first.text) else {
            throw Diagnostic.error("'\(first.text)' cannot be timed", at: first.range)
        }
        let text = syntax.text.drop { $0 == " " || $0 == "\t" }.dropFirst(Self.name.count).drop { $0 == " " || $0 == "\t" }
        inner = CommandSyntax(name: first, arguments: Array(syntax.arguments.dropFirst()), block: syntax.block,
                              text: String(text), range: SourceRange(start: first.range.start, end: syntax.range.end))
    }

    func execute(in session: Session, cell: Int) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            session.show(.status(Status(command: Self.name,
                                        message: String(format: "time: %@ took %.1f ms", inner.name.text, milliseconds),
                                        facts: [("timed", .string(inner.name.text)), ("elapsed_ms", JSONValue.milliseconds(milliseconds))])))
        }
        try session.perform(inner, cell: cell)
    }
}
