import Glibc

/// Reaps one child exactly once and remembers how it ended, so that no signal is sent
/// to its pid afterwards.
final class Reaper: @unchecked Sendable {
    let pid: pid_t
    let group: Bool
    private var ended: Termination?
    private(set) var peakRSSKilobytes: Int?
    private var lock = pthread_mutex_t()

    init(pid: pid_t, group: Bool) {
        self.pid = pid
        self.group = group
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return body()
    }

    func poll() -> Termination? {
        let result: Termination? = locked {
            if let ended { return ended }
            var status: Int32 = 0
            var usage = rusage()
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            guard reaped == pid else {
                // ECHILD: someone else reaped it; there is nothing left to wait for.
                if reaped < 0, errno == ECHILD { ended = .exited(-1) }
                return ended
            }
            // WIFEXITED / WTERMSIG are macros Swift does not import.
            let signal = status & 0x7f
            peakRSSKilobytes = usage.ru_maxrss
            ended = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
            return ended
        }
        if result != nil { LiveChildren.shared.remove(self) }
        return result
    }

    func send(_ signal: Int32, toGroup: Bool) {
        locked {
            guard ended == nil else { return }
            _ = kill(toGroup ? -pid : pid, signal)
        }
    }

    func killIfRunning(_ signal: Int32) {
        guard poll() == nil else { return }
        send(signal, toGroup: group)
    }
}

/// Children not yet reaped, so that an interrupted harness can take them down.
final class LiveChildren: @unchecked Sendable {
    static let shared = LiveChildren()
    private var reapers: [ObjectIdentifier: Reaper] = [:]
    private var lock = pthread_mutex_t()

    private init() { pthread_mutex_init(&lock, nil) }

    func insert(_ reaper: Reaper) {
        pthread_mutex_lock(&lock)
        reapers[ObjectIdentifier(reaper)] = reaper
        pthread_mutex_unlock(&lock)
    }

    func remove(_ reaper: Reaper) {
        pthread_mutex_lock(&lock)
        reapers[ObjectIdentifier(reaper)] = nil
        pthread_mutex_unlock(&lock)
    }

    func killAll() {
        pthread_mutex_lock(&lock)
        let all = Array(reapers.values)
        pthread_mutex_unlock(&lock)
        all.forEach { $0.send(SIGKILL, toGroup: $0.group) }
    }
}
