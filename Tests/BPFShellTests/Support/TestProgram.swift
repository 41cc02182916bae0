import Foundation
import Testing

/// A C program compiled for a test into a private folder (removed by `remove()`), built
/// and run with deadlines.
struct TestProgram {
    let directory: URL
    let path: String

    /// `flags` beyond frame pointers (stacks walk them) and -O1.
    init(_ name: String, source: String, flags: [String] = []) throws {
        directory = URL(fileURLWithPath: try makeTemporaryDirectory(prefix: "bpfsh-\(name)"))
        let sourcePath = directory.appendingPathComponent("\(name).c").path
        path = directory.appendingPathComponent(name).path
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let built = try TimedProcess.run("/usr/bin/cc", ["-O1", "-fno-omit-frame-pointer", "-g"] + flags + ["-o", path, sourcePath],
                                         timeout: 60)
        try #require(built.status == 0, "cc (gcc: make test installs it) failed: \(built.output)")
    }

    /// Runs it to completion (killed after `timeout`); returns its exit status.
    @discardableResult
    func run(_ arguments: [String] = [], timeout: TimeInterval = 30) throws -> Int32 {
        try TimedProcess.run(path, arguments, timeout: timeout).status
    }

    /// Runs a tool (objcopy, strip, xz) on files of this program, with a deadline.
    func tool(_ path: String, _ arguments: [String]) throws {
        let result = try TimedProcess.run(path, arguments, timeout: 60)
        try #require(result.status == 0, "\(path) \(arguments.joined(separator: " ")): \(result.output)")
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A fresh private folder (mkdtemp: mode 0700, never an existing path).
func makeTemporaryDirectory(prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
    return String(cString: made)
}
