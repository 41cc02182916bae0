import Foundation

/// Drives the real interactive shell in a tmux pane: keys in, screen out.
final class TmuxDriver {
    static var isAvailable: Bool { tmuxPath != nil }
    static let tmuxPath = ["/usr/bin/tmux", "/usr/local/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }

    let name = "bpfsh-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    /// Starts bpfsh in a detached 160×50 pane with its own history file.
    init(dataHome: String, extraEnvironment: [String: String] = [:]) throws {
        var command = "env NO_COLOR=1 XDG_DATA_HOME=\(dataHome)"
        for (key, value) in extraEnvironment { command += " \(key)=\(value)" }
        // timeout bounds the shell's life even if the test dies before cleaning up.
        command += " timeout 120 \(ShellProcess.binaryPath)"
        try run(["new-session", "-d", "-s", name, "-x", "160", "-y", "50", command])
    }

    deinit {
        _ = try? run(["kill-session", "-t", name])
    }

    /// Types text literally (';' goes as a hex key: tmux would take it as a separator).
    func type(_ text: String) throws {
        for (index, piece) in text.split(separator: ";", omittingEmptySubsequences: false).enumerated() {
            if index > 0 { try run(["send-keys", "-t", name, "-H", "3b"]) }
            if !piece.isEmpty { try run(["send-keys", "-t", name, "-l", "--", String(piece)]) }
        }
    }

    /// Sends named keys: Enter, Tab, C-c, Up.
    func press(_ keys: String...) throws {
        try run(["send-keys", "-t", name] + keys)
    }

    func line(_ text: String) throws {
        try type(text)
        try press("Enter")
    }

    /// The pane with its scrollback, blank lines dropped.
    func screen() -> String {
        let text = (try? run(["capture-pane", "-t", name, "-p", "-S", "-500"])) ?? ""
        return text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: "\n")
    }

    /// Waits until the screen contains `text` `occurrences` times.
    @discardableResult
    func waitFor(_ text: String, occurrences: Int = 1, timeout: TimeInterval = 15) -> Bool {
        let until = Date().addingTimeInterval(timeout)
        while Date() < until {
            if screen().components(separatedBy: text).count - 1 >= occurrences { return true }
            usleep(50_000)
        }
        return false
    }

    /// Waits until some line on screen satisfies `predicate`.
    @discardableResult
    func waitForLine(timeout: TimeInterval = 15, where predicate: (String) -> Bool) -> Bool {
        let until = Date().addingTimeInterval(timeout)
        while Date() < until {
            if screen().split(separator: "\n").contains(where: { predicate(String($0)) }) { return true }
            usleep(50_000)
        }
        return false
    }

    /// The last non-blank line on screen (where the prompt and typed text are).
    var lastLine: String { screen().split(separator: "\n").last.map(String.init) ?? "" }

    /// Runs one tmux command with a deadline, through posix_spawn and waitpid. The first
    /// new-session forks the tmux server, which inherits the client's descriptors and
    /// lives on: Foundation's Process (which watches an inherited descriptor) and any
    /// read of an output pipe to EOF would wait for the server, i.e. forever. Only
    /// capture-pane's output is read; it forks nothing.
    @discardableResult
    private func run(_ arguments: [String]) throws -> String {
        let capturesOutput = arguments.first == "capture-pane"
        var ends: [Int32] = [-1, -1]
        if capturesOutput, pipe(&ends) != 0 { throw TmuxError.spawn(errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capturesOutput {
            posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
            posix_spawn_file_actions_addclose(&actions, ends[0])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let path = Self.tmuxPath ?? "/usr/bin/tmux"
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        if capturesOutput { close(ends[1]) }
        guard spawned == 0 else {
            if capturesOutput { close(ends[0]) }
            throw TmuxError.spawn(spawned)
        }
        var data = [UInt8]()
        if capturesOutput {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(ends[0], &chunk, chunk.count)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                data += chunk[..<count]
            }
            close(ends[0])
        }
        let deadline = Date().addingTimeInterval(10)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(2_000)
        }
        return String(decoding: data, as: UTF8.self)
    }

    enum TmuxError: Error {
        case spawn(Int32)
    }
}
