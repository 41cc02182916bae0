import Foundation
import ProcessKit

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

    /// Runs one tmux command with a deadline, through ProcessKit (posix_spawn and
    /// waitpid). The first new-session forks the tmux server, which inherits the client's
    /// descriptors and lives on: Foundation's Process (which watches an inherited
    /// descriptor) and any read of an output pipe to EOF would wait for the server, i.e.
    /// forever. So only capture-pane, which forks nothing, gets an output pipe; the
    /// others get /dev/null, and ProcessKit lets no other descriptor through.
    @discardableResult
    private func run(_ arguments: [String]) throws -> String {
        let path = Self.tmuxPath ?? "/usr/bin/tmux"
        if arguments.first == "capture-pane" {
            return try Subprocess.run(path, arguments, timeout: 10).output
        }
        let tmux = try Subprocess(path, arguments, input: .null, output: .null, error: .null, newProcessGroup: false)
        if tmux.wait(timeout: 10) == nil {
            tmux.signal(SIGKILL)
            tmux.wait(timeout: 10)
        }
        return ""
    }
}
