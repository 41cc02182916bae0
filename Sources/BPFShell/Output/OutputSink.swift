import Foundation

/// Where the session writes: results to one stream, diagnostics to another.
/// Tests inject a capturing sink; the shell writes to stdout and stderr.
public protocol OutputSink: AnyObject {
    func write(_ text: String)
    /// Writes UTF-8 bytes as they are (the print() fast path: no String per record).
    func write(bytes: UnsafeRawBufferPointer)
    func writeError(_ text: String)
    /// Pushes buffered text out (called after each command and each drained batch).
    func flush()
    var isTerminal: Bool { get }
}

/// stdout and stderr, buffered: print() can stream a million lines a second, which
/// one write(2) per line could not keep up with.
extension OutputSink {
    public func write(bytes: UnsafeRawBufferPointer) {
        write(String(decoding: bytes, as: UTF8.self))
    }
}

public final class StandardOutput: OutputSink {
    public let isTerminal: Bool
    private var pending: [UInt8] = []
    private static let flushThreshold = 64 * 1024

    public init() {
        isTerminal = isatty(STDOUT_FILENO) == 1
        pending.reserveCapacity(Self.flushThreshold * 2)
    }

    public func write(_ text: String) {
        pending.append(contentsOf: text.utf8)
        if pending.count >= Self.flushThreshold { flush() }
    }

    public func write(bytes: UnsafeRawBufferPointer) {
        pending.append(contentsOf: bytes)
        if pending.count >= Self.flushThreshold { flush() }
    }

    public func writeError(_ text: String) {
        flush() // keep results and diagnostics in the order they happened
        Self.writeAll(STDERR_FILENO, Array(text.utf8))
    }

    public func flush() {
        guard !pending.isEmpty else { return }
        Self.writeAll(STDOUT_FILENO, pending)
        pending.removeAll(keepingCapacity: true)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return // a closed pipe: nothing more can be said
            }
            offset += written
        }
    }
}

/// Collects everything written (tests, notebooks).
public final class CapturedOutput: OutputSink {
    public private(set) var text = ""
    public private(set) var errors = ""
    public let isTerminal = false

    public init() {}

    public func write(_ text: String) { self.text += text }
    public func writeError(_ text: String) { errors += text }
    public func flush() {}
}

/// How results are written: text for people, or JSON lines where every stdout line
/// is one object with a `type` (chosen once, by `--json` or `set output json`).
public enum OutputFormat: String, Sendable {
    case text, json
}

/// Shows output items in the chosen format, and keeps what each cell showed as plain
/// text (never coloured, whatever the terminal gets) for notebooks.
final class Presenter {
    /// A cell's transcript is capped: print() can stream millions of lines.
    static let transcriptLimit = 256 * 1024
    let sink: OutputSink
    var format: OutputFormat = .text
    private var terminal: TextRenderer
    private var plain = TextRenderer()
    private let json = JSONRenderer()
    private var transcript = ""
    private var omittedBytes = 0

    /// Shows an item richly instead of as text (the notebook kernel's maps as tables
    /// and charts); returns false to leave it to the text path.
    var richDisplay: ((OutputItem, _ plainText: String) -> Bool)?

    /// Held by `every` so its histograms keep their columns from tick to tick.
    let histogramWidths = HistogramWidths()

    init(sink: OutputSink, useColor: Bool) {
        self.sink = sink
        terminal = TextRenderer(useColor: useColor)
        terminal.widths = histogramWidths
        plain.widths = histogramWidths
    }

    func show(_ item: OutputItem) {
        // Beside JSON the text is the transcript's alone, which keeps what is left of its cap.
        let budget = format == .json && richDisplay == nil ? max(0, Self.transcriptLimit - transcript.utf8.count) : nil
        let plainText = plain.render(item, byteBudget: budget)
        // Warnings and errors are kept past the cap: a flood of print() lines must not hide
        // the warning that records were lost.
        keep(plainText.text, always: plainText.isError)
        if let richDisplay, !plainText.isError {
            sink.flush() // what streamed before it stays before it
            if richDisplay(item, plainText.text) { return }
        }
        switch format {
        case .text:
            let shown = terminal.useColor ? terminal.render(item) : plainText
            if shown.isError { sink.writeError(shown.text) } else { sink.write(shown.text) }
        case .json:
            sink.write(json.render(item))
        }
    }

    /// A big table written a chunk of rows at a time (never whole in memory); the
    /// transcript keeps its text up to the usual cap.
    func showLargeTable(_ table: LargeTable) {
        let layout = plain.largeTableLayout(table)
        keep(layout.header)
        if format == .json { sink.write(json.largeTableStart(table)) } else { sink.write(layout.header) }
        for chunk in table.chunks {
            // The text is made for the transcript only while it is under its cap.
            let wantsText = format == .text || transcript.utf8.count < Self.transcriptLimit
            let text = wantsText ? plain.largeTableRows(table, chunk, keyWidth: layout.keyWidth, valueWidth: layout.valueWidth) : ""
            keep(text)
            sink.write(format == .json ? json.largeTableRows(table, chunk) : text)
        }
        if format == .json { sink.write(json.largeTableEnd) }
        sink.flush()
    }

    /// One print() record as it is: its bytes in text mode (no String per record), an
    /// `event` object in JSON mode.
    func showEvent(probe name: () -> String, text: UnsafeRawBufferPointer) {
        if transcript.utf8.count < Self.transcriptLimit {
            transcript += String(decoding: text, as: UTF8.self)
        } else {
            omittedBytes += text.count
        }
        switch format {
        case .text: sink.write(bytes: text)
        case .json: sink.write(json.event(probe: name(), text: String(decoding: text, as: UTF8.self)))
        }
    }

    /// `frames`: stacks print() was given ("kstack", "ustack"), shown indented under the line.
    func showEvent(probe name: () -> String, time: EventTime?, text: UnsafeRawBufferPointer, frames: [String: [String]]) {
        let prefix = time.map { $0.text + " " }
        let stackLines = ["kstack", "ustack"].compactMap { frames[$0] }.flatMap { $0 }.map { "    \($0)\n" }.joined()
        if transcript.utf8.count < Self.transcriptLimit {
            transcript += (prefix ?? "") + String(decoding: text, as: UTF8.self) + stackLines
        } else {
            omittedBytes += text.count
        }
        switch format {
        case .text:
            if let prefix { sink.write(prefix) }
            sink.write(bytes: text)
            if !stackLines.isEmpty {
                // The frames go under the line, which may not end with one.
                if text.last != 10 { sink.write("\n") }
                sink.write(stackLines)
            }
        case .json:
            sink.write(json.event(probe: name(), time: time, text: String(decoding: text, as: UTF8.self), frames: frames))
        }
    }

    func flush() { sink.flush() }

    private func keep(_ text: String, always: Bool = false) {
        if always || transcript.utf8.count < Self.transcriptLimit {
            transcript += text
        } else {
            omittedBytes += text.utf8.count
        }
    }

    /// Returns what was shown since the last call.
    func takeTranscript() -> String {
        defer {
            transcript = ""
            omittedBytes = 0
        }
        return omittedBytes > 0 ? transcript + "… (\(omittedBytes) more bytes not kept)\n" : transcript
    }
}
