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
        let attached = session.probes.filter(\.isAttached)
        if attached.isEmpty, !session.isDryRun {
            session.show(.warning("no probe is attached, so nothing is traced while this runs: attach one with 'probe …' (or 'attach P')"))
        }
        let hitsBefore = attached.map { session.backend.hits(of: $0.handle) }
        let lostBefore = session.backend.lostEvents
        let start = DispatchTime.now().uptimeNanoseconds
        defer { reportRun(session, attached: attached, hitsBefore: hitsBefore, lostBefore: lostBefore, start: start) }
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

    /// What the run saw: how long it ran and the events each attached probe handled.
    private func reportRun(_ session: Session, attached: [AttachedProbe], hitsBefore: [UInt64], lostBefore: UInt64, start: UInt64) {
        guard !attached.isEmpty else { return }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let counts = zip(attached, hitsBefore).map { probe, before in (probe.name, session.backend.hits(of: probe.handle) &- before) }
        let perProbe = counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        let lost = session.backend.lostEvents &- lostBefore
        session.say(String(format: "ran %.1f s: events %@", seconds, perProbe) + (lost > 0 ? ", print() records lost \(lost)" : ""),
                    facts: [("seconds", JSONValue.milliseconds(seconds)),
                            ("events", .object(counts.map { ($0.0, .integer(String($0.1))) })),
                            ("lost", .integer(String(lost)))])
    }
}
