import Foundation
import ProcessKit

/// A file a tool streams into: waited on by its tail, counted at the end without
/// loading it whole (an overload run writes ~100 MB).
struct OutputFile {
    let path: String

    /// The last `bytes` of the file, as lines.
    func tailLines(_ bytes: Int = 65536) -> [Substring] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
    }

    /// Polls until a line of the tail satisfies `predicate`; false at the deadline, when
    /// `failed` says so, or when `process` is gone.
    func waitForLine(until deadline: Deadline, process: Subprocess? = nil, failed: () -> Bool = { false },
                     where predicate: (Substring) -> Bool) -> Bool {
        while !deadline.hasPassed {
            if tailLines().contains(where: predicate) { return true }
            if failed() { return false }
            if let process, !process.isRunning { return tailLines().contains(where: predicate) }
            pause(0.02)
        }
        return false
    }

    var size: UInt64 { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64) ?? 0 }

    /// Waits until the file has not grown for 0.3 s (at most `seconds`).
    func waitUntilStable(seconds: Double) {
        let deadline = Deadline.after(seconds)
        var last: UInt64 = .max
        var same = 0
        while !deadline.hasPassed, same < 3 {
            let now = size
            same = now == last ? same + 1 : 0
            last = now
            pause(0.1)
        }
    }

    /// Counts lines that are exactly `PREFIX DIGITS` and returns the others (attach
    /// messages, warnings, bpftrace's "Lost N events"), at most `keep` of them.
    func countLines(prefix: String, keepingOthers keep: Int = 10_000) -> (count: Int, others: [String]) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return (0, []) }
        defer { try? handle.close() }
        let prefixBytes = Array(prefix.utf8) + [UInt8(ascii: " ")]
        var count = 0
        var others: [String] = []
        var line: [UInt8] = []
        func finish() {
            let isEvent = line.count > prefixBytes.count && line.starts(with: prefixBytes)
                && line[prefixBytes.count...].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            if isEvent {
                count += 1
            } else if others.count < keep {
                others.append(String(decoding: line, as: UTF8.self))
            }
            line.removeAll(keepingCapacity: true)
        }
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            for byte in chunk {
                if byte == UInt8(ascii: "\n") { finish() } else { line.append(byte) }
            }
        }
        if !line.isEmpty { finish() }
        return (count, others)
    }
}
