import Foundation

/// Where the session writes: results to one stream, diagnostics to another.
/// Tests inject a capturing sink; the shell writes to stdout and stderr.
public protocol OutputSink: AnyObject {
    func write(_ text: String)
    func writeError(_ text: String)
    var isTerminal: Bool { get }
}

public final class StandardOutput: OutputSink {
    public let isTerminal: Bool

    public init() {
        isTerminal = isatty(STDOUT_FILENO) == 1
    }

    public func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    public func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
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
}
