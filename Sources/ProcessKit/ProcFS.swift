import Glibc

/// What /proc says about a live process.
public enum ProcFS {
    /// A `kB` field of /proc/PID/status (VmRSS, VmHWM), in kilobytes.
    public static func statusKilobytes(_ pid: pid_t, _ field: String) -> Int? {
        guard let text = readText("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    /// Fields of /proc/PID/stat after the command name (which may contain spaces and
    /// parentheses, hence the last ')'): index 0 is the state, field 3 of proc(5).
    static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let text = readText("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// User plus system CPU time of all the process's threads, in clock ticks.
    public static func cpuTicks(_ pid: pid_t) -> Int? {
        guard let fields = statFields(pid), fields.count > 12,
              let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    public static func parent(of pid: pid_t) -> pid_t? {
        guard let fields = statFields(pid), fields.count > 1 else { return nil }
        return pid_t(fields[1])
    }

    /// Whether `ancestor` is `pid`'s parent, grandparent, … (up to `depth` levels).
    public static func isDescendant(_ pid: pid_t, of ancestor: pid_t, depth: Int = 5) -> Bool {
        var current = pid
        for _ in 0..<depth {
            guard let parent = parent(of: current), parent > 1 else { return false }
            if parent == ancestor { return true }
            current = parent
        }
        return false
    }

    public static let clockTicksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// A small text file's contents (files under /proc report size 0, so read to EOF).
    public static func readText(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
