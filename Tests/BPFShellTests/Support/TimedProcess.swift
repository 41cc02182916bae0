import Foundation
import ProcessKit

/// Runs a program to completion with a deadline (killed after it), through ProcessKit;
/// stdout and stderr come back together, in that order.
enum TimedProcess {
    struct Result {
        var status: Int32
        var output: String
    }

    static func run(_ path: String, _ arguments: [String], timeout: TimeInterval) throws -> Result {
        let completed = try Subprocess.run(path, arguments, timeout: timeout)
        return Result(status: completed.termination?.status ?? 128 + SIGKILL, output: completed.output + completed.errors)
    }
}
