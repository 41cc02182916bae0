import Foundation

/// Runs a tool (clang) to completion and collects what it printed.
/// A tied child and waitpid directly: Foundation's Process waits on a run loop that
/// wakes every 50 ms on Linux, which alone would double a probe's compile time; and the
/// kernel kills the child if the session is killed (a compile never outlives it).
struct ProcessRunner {
    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    struct SpawnError: Error, CustomStringConvertible {
        var executable: String
        var code: Int32
        var description: String { "cannot run \(executable): \(String(cString: strerror(code)))" }
    }

    /// A pipe whose ends other threads' children do not inherit.
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Outcome {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard makePipe(&outPipe) else { throw SpawnError(executable: executable, code: errno) }
        guard makePipe(&errPipe) else {
            close(outPipe[0]); close(outPipe[1])
            throw SpawnError(executable: executable, code: errno)
        }
        let spawned = Result { try TiedChild.spawn(executable, arguments, stdout: outPipe[1], stderr: errPipe[1]) }
        close(outPipe[1])
        close(errPipe[1])
        let pid: pid_t
        switch spawned {
        case let .success(child): pid = child
        case let .failure(error):
            close(outPipe[0]); close(errPipe[0])
            throw SpawnError(executable: executable, code: (error as? POSIXError)?.code.rawValue ?? EIO)
        }
        // Read both pipes as data arrives: a full pipe would block the child forever.
        var output = Data(), errors = Data()
        var open = [outPipe[0], errPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 {
                    if entry.fd == outPipe[0] { output.append(contentsOf: buffer[..<count]) } else { errors.append(contentsOf: buffer[..<count]) }
                } else if count == 0 || errno != EINTR {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: exitStatus, output: String(decoding: output, as: UTF8.self),
                       errors: String(decoding: errors, as: UTF8.self))
    }
}
