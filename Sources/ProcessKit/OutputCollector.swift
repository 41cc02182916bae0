import Foundation

/// Reads a descriptor to end of file on a thread of its own and keeps every byte, so a
/// child never blocks on a full pipe while the caller is busy elsewhere.
public final class OutputCollector: @unchecked Sendable {
    private let descriptor: Int32
    private let lock = NSLock()
    private var data: [UInt8] = []
    private var isClosed = false
    private let finished = DispatchSemaphore(value: 0)

    /// Reads a duplicate of `descriptor` (closed at end of file), so that the owner may
    /// close its own copy at any time without this thread reading a reused number.
    public init(descriptor: Int32) {
        self.descriptor = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        let thread = Thread { [self] in
            defer { if self.descriptor >= 0 { close(self.descriptor) } }
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(self.descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                lock.withLock { data += chunk[..<count] }
            }
            lock.withLock { isClosed = true }
            finished.signal()
        }
        thread.start()
    }

    /// What has arrived so far, as text.
    public var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    public var bytes: [UInt8] { lock.withLock { data } }

    /// Waits for end of file; false if the deadline came first (a grandchild that
    /// inherited the pipe may keep it open long after the child is gone).
    @discardableResult
    public func waitForEnd(until deadline: Deadline) -> Bool {
        if lock.withLock({ isClosed }) { return true }
        guard finished.wait(timeout: .now() + deadline.remaining) == .success else { return false }
        finished.signal()
        return true
    }
}
