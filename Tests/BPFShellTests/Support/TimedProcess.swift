import Foundation

/// Runs a program to completion with a deadline (killed after it), stdout and stderr
/// together in a temporary file so a chatty child never blocks on a full pipe.
enum TimedProcess {
    struct Result {
        var status: Int32
        var output: String
    }

    static func run(_ path: String, _ arguments: [String], timeout: TimeInterval) throws -> Result {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-timed-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Result(status: process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus,
                      output: output)
    }
}
