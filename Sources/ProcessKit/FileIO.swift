import Glibc

/// Reads and writes on raw descriptors, retrying what signals interrupt.
public enum FileIO {
    /// Writes every byte; false on any error (EPIPE: the reader is gone).
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard var next = bytes.baseAddress else { return true }
        var left = bytes.count
        while left > 0 {
            let written = Glibc.write(descriptor, next, left)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            next += written
            left -= written
        }
        return true
    }

    public enum ReadResult {
        case bytes(Int)
        case timedOut
        case end
    }

    /// Waits until `descriptor` is readable (or `deadline`), then reads once into `buffer`.
    public static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer,
                            until deadline: Deadline) -> ReadResult {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = Glibc.poll(&entry, 1, deadline.pollMilliseconds)
            if ready < 0, errno == EINTR { continue }
            if ready < 0 { return .end }
            if ready == 0 { return .timedOut }
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            return count > 0 ? .bytes(count) : .end
        }
    }

    /// Appends `text` to the file at `path` (created if missing); for logs.
    public static func append(_ text: String, toFile path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = Array(text.utf8).withUnsafeBytes { writeAll(descriptor, $0) }
    }
}
