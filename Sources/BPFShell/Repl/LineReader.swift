import CLibEdit
import CShim
import Foundation

/// Where input lines come from: libedit on a terminal, plain reads otherwise.
public protocol LineReader: AnyObject {
    /// The next line without its newline; nil at end of input or on an interrupt
    /// (the caller tells them apart through the signal flags).
    func readLine(prompt: String) -> String?
    var isInteractive: Bool { get }
    func close()
}

/// Plain line input for pipes and scripts: no prompt, no editing, no colour.
/// Reads the descriptor itself (not stdio) so a signal, whichever thread it lands on,
/// ends a blocked read through the shim's self-pipe.
public final class PlainLineReader: LineReader {
    public static let maximumLineBytes = 1 << 20
    public let isInteractive = false
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var isAtEnd = false
    /// Set when the last line returned was longer than the maximum (and was cut).
    public private(set) var overlongLine = false

    public init(fd: Int32 = STDIN_FILENO) {
        self.fd = fd
    }

    public func readLine(prompt: String) -> String? {
        overlongLine = false
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return finish(line)
            }
            if buffer.count > Self.maximumLineBytes {
                // Keep reading to the end of the line without holding it all.
                overlongLine = true
                buffer.removeAll(keepingCapacity: true)
            }
            if isAtEnd {
                guard !buffer.isEmpty || overlongLine else { return nil }
                let line = buffer
                buffer.removeAll()
                return finish(line)
            }
            guard bpfsh_wait_readable(fd, -1) == 1 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(fd, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                isAtEnd = true
            } else if count == 0 {
                isAtEnd = true
            } else {
                buffer.append(contentsOf: chunk[..<count])
            }
        }
    }

    private func finish(_ line: [UInt8]) -> String {
        if overlongLine { return "" }
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        return text
    }

    public func close() {}
}

/// libedit: Emacs-style editing and persistent, de-duplicated history.
public final class EditLineReader: LineReader {
    public let isInteractive = true
    private let editor: OpaquePointer
    private let history: OpaquePointer
    private let historyPath: String?
    /// The prompt libedit's callback returns; C callbacks cannot capture context.
    nonisolated(unsafe) private static var currentPrompt = strdup("> ")

    public init?(historyPath: String?, session: Session? = nil) {
        guard let editor = el_init("bpfsh", stdin, stdout, stderr), let history = history_init() else { return nil }
        self.editor = editor
        self.history = history
        self.historyPath = historyPath
        bpfsh_history_set_size(history, 5000)
        bpfsh_history_set_unique(history, 1)
        if let historyPath { bpfsh_history_load(history, historyPath) }
        bpfsh_el_set_editor(editor, "emacs")
        bpfsh_el_set_history(editor, history)
        bpfsh_el_set_signal(editor, 1)
        bpfsh_el_set_prompt(editor) { _ in EditLineReader.currentPrompt }
        bpfsh_el_use_signal_aware_input(editor)
        el_source(editor, nil) // ~/.editrc, as other libedit programs honour it
    }

    public func readLine(prompt: String) -> String? {
        free(Self.currentPrompt)
        Self.currentPrompt = strdup(prompt)
        var count: Int32 = 0
        guard let line = el_gets(editor, &count), count > 0 else { return nil }
        var text = String(cString: line)
        if text.hasSuffix("\n") { text.removeLast() }
        if !text.trimmingCharacters(in: .whitespaces).isEmpty {
            bpfsh_history_enter(history, text)
            if let historyPath { bpfsh_history_save(history, historyPath) }
        }
        return text
    }

    public func close() {
        el_end(editor)
        history_end(history)
    }
}
