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
    private var pending: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65536)
    private var isAtEnd = false
    /// Called with every complete line read (for a log).
    public var onLine: ((String) -> Void)?

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    public func next(until deadline: Deadline) -> Next {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                onLine?(line)
                return .line(line)
            }
            if isAtEnd {
                guard !pending.isEmpty else { return .end }
                let line = String(decoding: pending, as: UTF8.self)
                pending.removeAll()
                onLine?(line)
                return .line(line)
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
