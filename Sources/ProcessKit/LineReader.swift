/// Splits what a descriptor delivers into lines, each with a deadline, keeping a
/// partial line until its newline arrives.
public final class LineReader {
    public enum Next: Equatable {
        case line(String)
        case timedOut
        /// End of file (the writer closed its end); any unterminated last line came before.
        case end
    }

    private let descriptor: Int32
    /// Read and not yet returned: bytes from `start` on.
    private var pending: [UInt8] = []
    private var start = 0
    /// Bytes from `start` up to here hold no newline (each byte is searched once: an 8 MB
    /// line read 64 KB at a time would otherwise be searched from its start 128 times).
    private var searched = 0
    private var chunk = [UInt8](repeating: 0, count: 65536)
    private var isAtEnd = false
    /// Called with every complete line read (for a log).
    public var onLine: ((String) -> Void)?

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    public func next(until deadline: Deadline) -> Next {
        while true {
            if let newline = pending[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[start..<newline], as: UTF8.self)
                start = newline + 1
                searched = start
                onLine?(line)
                return .line(line)
            }
            searched = pending.count
            if isAtEnd {
                guard start < pending.count else { return .end }
                let line = String(decoding: pending[start...], as: UTF8.self)
                pending.removeAll()
                (start, searched) = (0, 0)
                onLine?(line)
                return .line(line)
            }
            // Returned lines are dropped from the front only when they are most of the buffer.
            if start > 0, start >= pending.count / 2 {
                pending.removeSubrange(..<start)
                searched -= start
                start = 0
            }
            let result = chunk.withUnsafeMutableBytes { FileIO.read(descriptor, into: $0, until: deadline) }
            switch result {
            case let .bytes(count): pending += chunk[..<count]
            case .timedOut: return .timedOut
            case .end: isAtEnd = true
            }
        }
    }

    /// Reads lines until one satisfies `predicate` (returned), or until the deadline or
    /// end of file (nil). `stop` ends the wait early on a line that means failure.
    public func firstLine(until deadline: Deadline, where predicate: (String) -> Bool,
                          stoppingAt stop: (String) -> Bool = { _ in false }) -> String? {
        while case let .line(line) = next(until: deadline) {
            if predicate(line) { return line }
            if stop(line) { return nil }
        }
        return nil
    }

    /// Everything up to end of file or the deadline.
    public func rest(until deadline: Deadline) -> [String] {
        var lines: [String] = []
        while case let .line(line) = next(until: deadline) { lines.append(line) }
        return lines
    }
}
