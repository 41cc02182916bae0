import Glibc

extension Subprocess {
    /// What a finished command printed, and how it ended.
    public struct Completed {
        public let termination: Termination?
        public let output: String
        public let errors: String
        /// Exited with status 0 (not killed, not timed out).
        public var succeeded: Bool { termination?.isSuccess ?? false }
    }

    /// Runs a command to completion with stdout and stderr captured; a command still
    /// running at the deadline is killed (termination nil).
    public static func run(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                           input: InputSource = .null, timeout: Double = 60) throws -> Completed {
        let child = try Subprocess(executable, arguments, environment: environment, input: input,
                                   output: .pipe, error: .pipe)
        let deadline = Deadline.after(timeout)
        var output: [UInt8] = []
        var errors: [UInt8] = []
        child.readBoth(until: deadline, into: &output, &errors)
        var ended = child.wait(until: deadline)
        if ended == nil {
            child.signal(SIGKILL, group: true)
            _ = child.wait(timeout: 5)
            ended = nil
        }
        return Completed(termination: ended, output: String(decoding: output, as: UTF8.self),
                         errors: String(decoding: errors, as: UTF8.self))
    }

    /// Reads the stdout and stderr pipes until both reach end of file or the deadline.
    private func readBoth(until deadline: Deadline, into output: inout [UInt8], _ errors: inout [UInt8]) {
        var open = [self.output, self.error].compactMap { $0 }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty, !deadline.hasPassed {
            var entries = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&entries, nfds_t(entries.count), deadline.pollMilliseconds)
            if ready < 0, errno == EINTR { continue }
            if ready <= 0 { break }
            for entry in entries where entry.revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 {
                    open.removeAll { $0 == entry.fd }
                } else if entry.fd == self.output {
                    output += chunk[..<count]
                } else {
                    errors += chunk[..<count]
                }
            }
        }
    }
}
