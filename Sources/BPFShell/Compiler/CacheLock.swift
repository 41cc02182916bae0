import Foundation

/// An exclusive flock(2) on a lock file in a cache directory, held while one session
/// builds an entry the others will use; released by close (and by the kernel if the
/// process dies, so a crash never leaves the cache locked).
final class CacheLock {
    private var fd: Int32

    init(directory: URL) throws {
        let path = directory.appendingPathComponent(".lock").path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        while flock(fd, LOCK_EX) != 0, errno == EINTR {}
    }

    func release() {
        guard fd >= 0 else { return }
        close(fd) // closing drops the lock
        fd = -1
    }

    deinit {
        release()
    }
}
