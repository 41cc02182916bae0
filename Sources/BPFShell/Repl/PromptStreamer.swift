import Foundation

/// Drains print() records while the prompt waits for input, so output streams between
/// commands too; on a terminal the line being typed is cleared and redrawn around it.
final class PromptStreamer {
    let session: Session
    let reader: LineReader

    init(session: Session, reader: LineReader) {
        self.session = session
        self.reader = reader
    }

    /// Registers with the input wait when the session has a ring buffer to watch.
    func install() {
        // print() records wake the wait; processes ustack()/usym() saw need a look while
        // they live even when nothing prints: a timer-only source (fd -1) does that.
        guard session.eventFD != nil || session.backend.recordsProcesses else { return }
        let fd = session.eventFD ?? -1
        InputWait.setIdleSource(fd: fd) { [unowned self] in drain() }
    }

    func uninstall() {
        InputWait.clearIdleSource()
    }

    private func drain() {
        // Output is buffered: drain first, then clear the edit line only if there is something to show.
        guard let warnings = session.drainEventsBuffered() else { return }
        reader.beginAsyncOutput()
        session.flush()
        warnings.forEach(session.show)
        reader.endAsyncOutput()
    }
}
