import Foundation

/// `run [DURATION]`: let events flow, streaming print() output; Ctrl-C ends early.
struct RunCommand: ShellCommand {
    static let name = "run"
    static let needsKernel = true
    static let summary = "let events flow for a while (print() output streams); Ctrl-C ends early"
    static let usage = "run [DURATION]   (500ms, 5s, 1m; no duration: until Ctrl-C)"
    static let example = "run 2s"

    let seconds: Double?

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...1, usage: Self.usage)
        if let argument = syntax.arguments.first {
            guard let seconds = DurationParser.seconds(argument.text) else {
                throw Diagnostic.error("'\(argument.text)' is not a duration", at: argument.range,
                                       hint: DurationParser.hint(for: argument.text))
            }
            self.seconds = seconds
        } else {
            seconds = nil
        }
    }

    func execute(in session: Session, cell: Int) throws {
        _ = try session.runtime()
        _ = Signals.takeInterrupt()
        if session.pump(seconds: seconds), !session.isInterrupted {
            guard session.isRunningScript else {
                session.say("run interrupted; maps keep what they gathered")
                return
            }
            session.interruptsInScript += 1
            if session.interruptsInScript >= 2 {
                session.say("interrupted again: the script ends here; maps keep what they gathered")
                session.finish()
            } else {
                session.say("run interrupted; the script goes on (Ctrl-C again ends it)")
            }
        }
    }
}
