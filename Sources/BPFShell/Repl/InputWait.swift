import CLibEdit
import CShim
import Foundation

/// The one place input is waited for: the input descriptor, the signal self-pipe (a
/// signal may land on any thread, so a blocked read must watch it), and the event
/// stream whose print() records are drained while the prompt waits.
enum InputWait {
    enum Outcome: Equatable {
        case readable, signalled, timedOut
    }

    /// Work to do while input is awaited, and the descriptor that says it is due.
    private static var idleSource: (fd: Int32, work: () -> Void)?

    static func setIdleSource(fd: Int32, work: @escaping () -> Void) {
        idleSource = (fd, work)
    }

    static func clearIdleSource() {
        idleSource = nil
    }

    /// Waits until `fd` is readable, a signal arrives or `timeoutMilliseconds` pass
    /// (-1: no timeout), doing the idle work whenever its descriptor turns readable and
    /// at least four times a second (records submitted without a wake-up wait for it).
    static func waitReadable(_ fd: Int32, timeoutMilliseconds: Int32 = -1) -> Outcome {
        let signalFD = bpfsh_signals_fd()
        while true {
            if bpfsh_signals_pending() != 0 {
                bpfsh_signals_drain_fd()
                return .signalled
            }
            var descriptors = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            if signalFD >= 0 { descriptors.append(pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)) }
            var wait = timeoutMilliseconds
            let idle = signalFD >= 0 ? idleSource : nil
            if let idle {
                // fd -1: poll ignores the entry, the idle work runs on the timer alone.
                descriptors.append(pollfd(fd: idle.fd, events: Int16(POLLIN), revents: 0))
                if wait < 0 || wait > 250 { wait = 250 }
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), wait)
            if ready < 0, errno == EINTR { continue }
            let inputReady = descriptors[0].revents & Int16(POLLIN) != 0
            let signalReady = descriptors.count > 1 && descriptors[1].revents & Int16(POLLIN) != 0
            if let idle, ready == 0 || descriptors[2].revents & Int16(POLLIN) != 0 {
                idle.work()
                if ready == 0, timeoutMilliseconds >= 0 { return .timedOut }
                if !inputReady, !signalReady { continue }
            }
            if ready == 0 { return .timedOut }
            if ready < 0 { return .readable } // the read that follows reports the error
            if signalReady {
                // Drain the wake-ups; a signal already handled elsewhere (run took it) is not news.
                bpfsh_signals_drain_fd()
                if bpfsh_signals_pending() != 0 { return .signalled }
                if inputReady { return .readable }
                continue
            }
            return .readable
        }
    }

    /// libedit's character reader: stdin through `waitReadable`, so a signal ends el_gets
    /// (EINTR) instead of waiting for the next key.
    static let editLineGetc: bpfsh_getc_fn = { _, out in
        guard let out else { return -1 }
        var state = mbstate_t()
        while true {
            guard waitReadable(STDIN_FILENO) == .readable else {
                errno = EINTR
                return -1
            }
            var byte: CChar = 0
            let count = read(STDIN_FILENO, &byte, 1)
            if count == 0 { return 0 }
            if count < 0 {
                if errno == EINTR { continue }
                return -1
            }
            let used = mbrtowc(out, &byte, 1, &state)
            if used == size_t.max - 1 { continue } // more bytes of a multibyte character
            if used == size_t.max {
                out.pointee = wchar_t(UInt8(bitPattern: byte))
                state = mbstate_t()
            }
            return 1
        }
    }
}
