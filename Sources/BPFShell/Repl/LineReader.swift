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
public final class PlainLineReader: LineReader {
    public static let maximumLineBytes = 1 << 20
    public let isInteractive = false
    private let handle: UnsafeMutablePointer<FILE>
    /// Set when a line longer than the maximum was cut.
    public private(set) var overlongLine = false

    public init(handle: UnsafeMutablePointer<FILE> = stdin) {
        self.handle = handle
    }

    public func readLine(prompt: String) -> String? {
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        let count = getline(&buffer, &capacity, handle)
        defer { free(buffer) }
        guard count >= 0, let buffer else { return nil }
        overlongLine = count > Self.maximumLineBytes
        var line = String(cString: buffer)
        if line.hasSuffix("\n") { line.removeLast() }
        return line
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

    public init?(historyPath: String?) {
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
