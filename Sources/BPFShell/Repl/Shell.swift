import Foundation

/// The read–execute loop: gathers lines until a command is complete, runs it, repeats.
public final class Shell {
    let session: Session
    let reader: LineReader

    /// Terminals and pipes carry on after a failing command (scripts use ScriptRunner,
    /// which stops at the first one).
    public init(session: Session, reader: LineReader) {
        self.session = session
        self.reader = reader
    }

    /// Runs until quit, end of input or a terminating signal; returns the exit status.
    public func run() -> Int32 {
        var gatherer = CommandGatherer()
        var lineNumber = 0
        var anyFailed = false
        var interrupted = false
        let streamer = PromptStreamer(session: session, reader: reader)
        defer { streamer.uninstall() }
        while !session.isFinished {
            if Signals.termination != nil { break }
            session.drainEvents()
            session.flush()
            streamer.install()
            let prompt = gatherer.isGathering ? "...> " : "[\(session.promptCount + 1)]> "
            reader.setCompletionContext(gatherer.isGathering ? gatherer.pendingText + "\n" : "")
            guard let line = reader.readLine(prompt: prompt) else {
                if Signals.termination != nil { break }
                if Signals.takeInterrupt() {
                    // Ctrl-C at the prompt abandons only what is being typed.
                    if reader.isInteractive {
                        // Terminal chrome, not a result: straight to the terminal.
                        if gatherer.isGathering { session.presenter.sink.writeError("(block abandoned)\n") }
                        gatherer.abandon()
                        session.presenter.sink.write("\n")
                        continue
                    }
                    interrupted = true
                    break
                }
                if let unclosed = gatherer.finish() {
                    anyFailed = !run(unclosed) || anyFailed
                }
                break
            }
            lineNumber += 1
            // In a lesson, Enter on an empty prompt types the step on offer.
            if line.trimmingCharacters(in: .whitespaces).isEmpty, !gatherer.isGathering, let step = session.tutorial?.offeredCommand {
                session.presenter.sink.write(step + "\n")
                var chunk: CommandGatherer.Chunk?
                for (offset, stepLine) in step.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    chunk = gatherer.add(String(stepLine), lineNumber: lineNumber + offset) ?? chunk
                }
                if let chunk {
                    reader.remember(chunk.text)
                    if !run(chunk) { anyFailed = true }
                }
                continue
            }
            if let plain = reader as? PlainLineReader, plain.overlongLine {
                gatherer.abandon()
                session.report(.error("line \(lineNumber) is longer than 1 MiB; skipped"),
                               source: SourceContext(sourceName: session.configuration.sourceName, text: "", lineOffset: 0))
                anyFailed = true
                continue
            }
            if !gatherer.isGathering, Session.isProse(line) {
                session.addProse(line) // a teacher's note, for the exported notebook
                reader.remember(line)
                continue
            }
            guard let chunk = gatherer.add(line, lineNumber: lineNumber) else { continue }
            reader.remember(chunk.text)
            if !run(chunk) { anyFailed = true }
        }
        reader.close()
        session.close()
        if let signal = Signals.termination { return 128 + signal }
        if interrupted { return 128 + SIGINT }
        return anyFailed && !reader.isInteractive ? 1 : 0
    }

    /// At a terminal a chunk is the prompt's cell `[N]` (errors say "cell N, line L");
    /// from a pipe, lines of the input are what a user can find again.
    private func run(_ chunk: CommandGatherer.Chunk) -> Bool {
        reader.isInteractive ? session.executeTyped(chunk) : session.execute(chunk)
    }
}
