import CLibEdit
import CShim
import Foundation

/// Where input lines come from: libedit on a terminal, plain reads otherwise.
public protocol LineReader: AnyObject {
    /// The next line without its newline; nil at end of input or on an interrupt
    /// (the caller tells them apart through the signal flags).
    func readLine(prompt: String) -> String?
    var isInteractive: Bool { get }
    /// Makes room for lines printed while input is being typed (clears the edit line).
    func beginAsyncOutput()
    /// Redraws the prompt and what was typed after such lines.
    func endAsyncOutput()
    /// Keeps a whole command (a block of several lines is one entry) in the history.
    func remember(_ command: String)
    /// The lines of the open block before the one being typed, for completion.
    func setCompletionContext(_ text: String)
    func close()
}

extension LineReader {
    public func beginAsyncOutput() {}
    public func endAsyncOutput() {}
    public func remember(_ command: String) {}
    public func setCompletionContext(_ text: String) {}
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
            guard InputWait.waitReadable(fd) == .readable else { return nil }
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
    /// The reader whose completer the Tab binding calls (there is one editor per process).
    nonisolated(unsafe) private static var active: EditLineReader?
    private let completer: Completer?
    /// The open block's earlier lines, each ending in a newline ("" outside a block).
    private var completionContext = ""

    public init?(historyPath: String?, session: Session? = nil) {
        completer = session.map { Completer(source: SessionCompletionSource(session: $0)) }
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
        bpfsh_el_set_getc(editor, InputWait.editLineGetc)
        bpfsh_el_add_function(editor, "bpfsh-complete", "complete the word under the cursor") { editor, _ in
            guard let editor, let reader = EditLineReader.active else { return UInt8(CC_ERROR) }
            return reader.completeWord(editor)
        }
        bpfsh_el_bind(editor, "^I", "bpfsh-complete")
        EditLineReader.active = self
        el_source(editor, nil) // ~/.editrc, as other libedit programs honour it
    }

    public func readLine(prompt: String) -> String? {
        free(Self.currentPrompt)
        Self.currentPrompt = strdup(prompt)
        var count: Int32 = 0
        guard let line = el_gets(editor, &count), count > 0 else { return nil }
        var text = String(cString: line)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// One entry per command, not per line: Up brings a probe back whole, to edit as a
    /// block (libedit keeps the newlines; the history file encodes them).
    public func remember(_ command: String) {
        guard !command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        bpfsh_history_enter(history, command)
        if let historyPath { bpfsh_history_save(history, historyPath) }
    }

    public func setCompletionContext(_ text: String) {
        completionContext = text
    }

    /// Tab: insert what all candidates share; list them when that adds nothing.
    private func completeWord(_ editor: OpaquePointer) -> UInt8 {
        guard let completer, let info = el_line(editor) else { return UInt8(CC_ERROR) }
        let length = info.pointee.cursor - info.pointee.buffer
        let typed = String(decoding: UnsafeRawBufferPointer(start: info.pointee.buffer, count: max(0, length)), as: UTF8.self)
        // On a later line of a block the completer sees the lines before it too (the probe
        // point is on the first); what it replaces is counted back from the cursor.
        let completion = completer.complete(completionContext + typed)
        guard !completion.candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
        let addition = String(completion.commonPrefix.dropFirst(completion.replacing))
        if !addition.isEmpty {
            _ = el_insertstr(editor, addition)
            return UInt8(CC_REFRESH)
        }
        let shown = completion.candidates.prefix(60).map { $0.trimmingCharacters(in: .whitespaces) }
        var listing = "\n" + shown.joined(separator: "  ")
        if completion.candidates.count > shown.count { listing += "  … \(completion.candidates.count - shown.count) more" }
        listing += "\n"
        _ = listing.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
        return UInt8(CC_REDISPLAY)
    }

    public func beginAsyncOutput() {
        // Carriage return and erase-line: the streamed text takes the prompt's place.
        let clear: [UInt8] = Array("\r\u{1B}[K".utf8)
        _ = clear.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    public func endAsyncOutput() {
        bpfsh_el_refresh(editor)
    }

    public func close() {
        if EditLineReader.active === self { EditLineReader.active = nil }
        el_end(editor)
        history_end(history)
        if let historyPath { Self.removeDuplicates(inHistoryFile: historyPath) }
    }

    /// Keeps only the latest occurrence of each command in the shared history file
    /// (libedit's unique mode only drops consecutive repeats). Entries are one per line
    /// in libedit's encoded form, so equal commands are equal lines.
    static func removeDuplicates(inHistoryFile path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.first, header.hasPrefix("_HiStOrY_") else { return }
        var seen = Set<String>()
        var kept: [String] = []
        for line in lines.dropFirst().reversed() where seen.insert(line).inserted {
            kept.append(line)
        }
        let result = ([header] + kept.reversed()).joined(separator: "\n") + "\n"
        guard result != text else { return }
        let partial = path + ".\(getpid())"
        if FileManager.default.createFile(atPath: partial, contents: Data(result.utf8)) {
            rename(partial, path)
        }
    }
}
