import CProcessKit
import Dispatch
import Glibc

/// Where a child's standard input comes from.
public enum InputSource: Sendable {
    case null
    /// A pipe; write with `Subprocess.write(_:)`, close with `closeInput()`.
    case pipe
    case file(String)
    case inherit
}

/// Where a child's standard output or error goes.
public enum OutputTarget: Sendable {
    case null
    /// A pipe; read it from `Subprocess.output` / `.error` (e.g. with a `LineReader`).
    case pipe
    case file(String, append: Bool)
    case inherit
    /// Standard error only: the same descriptor as standard output (`2>&1`).
    case sameAsOutput
}

/// How a child ended.
public enum Termination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var isSuccess: Bool { self == .exited(0) }

    /// The shell's convention: the exit status, or 128 + the signal.
    public var status: Int32 {
        switch self {
        case let .exited(code): return code
        case let .signaled(signal): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case let .exited(code): return "exit status \(code)"
        case let .signaled(signal): return "killed by signal \(signal)"
        }
    }
}

public struct SpawnError: Error, CustomStringConvertible {
    public let executable: String
    public let operation: String
    public let code: Int32

    public var description: String {
        "cannot start \(executable): \(operation): \(String(cString: strerror(code)))"
    }
}

/// A child process started with posix_spawn, with its own process group and a
/// deadline after which the group is killed.
///
/// Why not Foundation's Process: on Linux it waits in 50 ms run-loop steps (too coarse
/// for start-up timings), and it watches a descriptor that a forked grandchild (the
/// tmux server) inherits, so it can wait forever. Here every descriptor we create is
/// close-on-exec and the child closes all but 0, 1 and 2 before exec, so nothing leaks
/// into grandchildren; waiting is waitpid, polled against a deadline.
public final class Subprocess: @unchecked Sendable {
    public let pid: pid_t
    public let executable: String
    /// Our end of the child's stdin pipe (`InputSource.pipe`), until `closeInput()`.
    public private(set) var input: Int32?
    /// Our ends of the child's stdout / stderr pipes (`OutputTarget.pipe`); the caller
    /// reads them, `Subprocess` closes them in deinit.
    public let output: Int32?
    public let error: Int32?
    /// When posix_spawn was called (`Monotonic`), for start-up timings.
    public let startedAt: Double
    private let reaper: Reaper
    private let hasOwnGroup: Bool

    /// Starts `executable` (looked up in PATH when it has no `/`).
    /// - Parameters:
    ///   - environment: the whole environment; nil inherits ours.
    ///   - newProcessGroup: the child leads a group of its own, so `signal(_:group:)`
    ///     reaches whatever it starts (clang under bpfsh), and a Ctrl-C at our terminal
    ///     reaches only us: we decide when children stop.
    ///   - timeout: seconds after which the child (its group) is killed if still running.
    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                input inputSource: InputSource = .null, output outputTarget: OutputTarget = .inherit,
                error errorTarget: OutputTarget = .inherit, newProcessGroup: Bool = true,
                timeout: Double? = nil) throws {
        Self.ignoreBrokenPipes
        self.executable = executable
        hasOwnGroup = newProcessGroup
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        // Descriptors the child gets (closed here after the spawn) and ours.
        var childEnds: [Int32] = []
        var parentEnds: [Int32] = []
        defer { childEnds.forEach { close($0) } }
        func fail(_ operation: String, _ code: Int32) -> SpawnError {
            parentEnds.forEach { close($0) }
            return SpawnError(executable: executable, operation: operation, code: code)
        }
        func makePipe() throws -> (read: Int32, write: Int32) {
            var ends: [Int32] = [-1, -1]
            guard pk_pipe_cloexec(&ends) == 0 else { throw fail("pipe", errno) }
            return (ends[0], ends[1])
        }

        var inputEnd: Int32?
        switch inputSource {
        case .null: posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case .inherit: break
        case let .file(path): posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0)
        case .pipe:
            let ends = try makePipe()
            childEnds.append(ends.read)
            parentEnds.append(ends.write)
            inputEnd = ends.write
            posix_spawn_file_actions_adddup2(&actions, ends.read, 0)
        }
        func route(_ target: OutputTarget, to descriptor: Int32) throws -> Int32? {
            switch target {
            case .null: posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
            case .inherit: break
            case .sameAsOutput: posix_spawn_file_actions_adddup2(&actions, 1, descriptor)
            case let .file(path, append):
                posix_spawn_file_actions_addopen(&actions, descriptor, path,
                                                 O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o644)
            case .pipe:
                let ends = try makePipe()
                childEnds.append(ends.write)
                parentEnds.append(ends.read)
                posix_spawn_file_actions_adddup2(&actions, ends.write, descriptor)
                return ends.read
            }
            return nil
        }
        let outputEnd = try route(outputTarget, to: 1)
        let errorEnd = try route(errorTarget, to: 2)
        // Belt and braces for descriptors someone else opened without O_CLOEXEC.
        pk_spawn_closefrom(&actions, 3)

        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        // Ignored signals stay ignored across exec: give the child the defaults back
        // (we ignore SIGPIPE, and a harness may ignore SIGINT).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { values in
            values.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { envp?.forEach { free($0) } }

        var child: pid_t = 0
        let launched = Monotonic.now()
        let spawned = envp.map { posix_spawnp(&child, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawnp(&child, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw fail("posix_spawn", spawned) }

        pid = child
        startedAt = launched
        input = inputEnd
        output = outputEnd
        error = errorEnd
        reaper = Reaper(pid: child, group: newProcessGroup)
        LiveChildren.shared.insert(reaper)
        if let timeout {
            let reaper = self.reaper
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { reaper.killIfRunning(SIGKILL) }
        }
    }

    deinit {
        if let input { close(input) }
        if let output { close(output) }
        if let error { close(error) }
    }

    /// Writing to a pipe whose reader died raises SIGPIPE, which would end us; the
    /// write's EPIPE says the same thing without that.
    private static let ignoreBrokenPipes: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

    // MARK: stdin

    /// Writes all of `text` to the child's stdin; false if it is closed or gone.
    @discardableResult
    public func write(_ text: String) -> Bool {
        guard let input else { return false }
        return Array(text.utf8).withUnsafeBytes { FileIO.writeAll(input, $0) }
    }

    /// Closes our end of stdin: the child reads end-of-file.
    public func closeInput() {
        if let input { close(input) }
        input = nil
    }

    // MARK: waiting and signals

    /// The termination once the child has been reaped, else nil (never blocks).
    public var termination: Termination? { reaper.poll() }
    public var isRunning: Bool { termination == nil }

    /// The child's peak resident set in kilobytes (wait4's ru_maxrss), once reaped.
    public var peakRSSKilobytes: Int? { reaper.peakRSSKilobytes }

    /// Waits until the child exits or `deadline` passes (nil then).
    @discardableResult
    public func wait(until deadline: Deadline) -> Termination? {
        // waitpid cannot take a timeout; a short poll keeps timings within ~0.5 ms
        // without a thread per child.
        var step = 0.0002
        while true {
            if let ended = reaper.poll() { return ended }
            if deadline.hasPassed { return nil }
            pause(min(step, deadline.remaining))
            step = min(step * 1.5, 0.005)
        }
    }

    @discardableResult
    public func wait(timeout: Double) -> Termination? { wait(until: .after(timeout)) }

    /// Waits `grace` seconds, then SIGTERM (to the group), 1 s more, then SIGKILL; the
    /// second value says whether it had to be stopped.
    @discardableResult
    public func stop(grace: Double) -> (termination: Termination, wasKilled: Bool) {
        if let ended = wait(timeout: grace) { return (ended, false) }
        signal(SIGTERM, group: true)
        if let ended = wait(timeout: 1) { return (ended, true) }
        signal(SIGKILL, group: true)
        return (wait(until: .after(3600)) ?? .signaled(SIGKILL), true)
    }

    /// Sends `signal` to the child, or to its whole process group; never to a pid that
    /// was already reaped (it may belong to someone else by now).
    public func signal(_ signal: Int32, group: Bool = false) {
        reaper.send(signal, toGroup: group && hasOwnGroup)
    }

    /// Kills every child still running (their groups); for a SIGINT handler.
    public static func killAllRunning() {
        LiveChildren.shared.killAll()
    }
}
