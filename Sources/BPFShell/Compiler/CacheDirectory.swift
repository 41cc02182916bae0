import Foundation

/// The directory compiled headers and objects are kept in, checked before use: bpfsh
/// runs as root and loads what it finds there into the kernel, so a cache another user
/// could write to (a HOME under sudo, an XDG_CACHE_HOME in a shared place) is not used.
/// Like ssh's StrictModes: the directory and every one above it must belong to this
/// user or root and be writable by nobody else (a root-owned sticky directory such as
/// /tmp is fine: others cannot replace what is in it).
public struct CacheDirectory {
    public let url: URL
    /// Why the requested directory was not used, when it was not (said once).
    public let warning: String?
    /// A private directory made for this session only (removed when it ends).
    public var isPrivate: Bool { warning != nil }

    public init(requested: URL) {
        let user = geteuid()
        do {
            try FileManager.default.createDirectory(at: requested, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            self = Self.privateDirectory(requested: requested, because: "it cannot be created (\(error.localizedDescription))")
            return
        }
        if let problem = Self.untrusted(requested, user: user) {
            self = Self.privateDirectory(requested: requested, because: problem)
            return
        }
        url = requested
        warning = nil
    }

    private init(url: URL, warning: String?) {
        self.url = url
        self.warning = warning
    }

    /// Why `directory` (or a directory above it) cannot be trusted, or nil.
    static func untrusted(_ directory: URL, user: uid_t) -> String? {
        var path = directory.standardizedFileURL.resolvingSymlinksInPath().path
        while true {
            var info = stat()
            guard lstat(path, &info) == 0 else { return "'\(path)' cannot be examined" }
            let isSticky = info.st_mode & S_ISVTX != 0
            let writableByOthers = info.st_mode & (S_IWGRP | S_IWOTH) != 0
            if info.st_uid != user && info.st_uid != 0 {
                return "'\(path)' belongs to user \(info.st_uid)"
            }
            if writableByOthers && !(isSticky && info.st_uid == 0) {
                return "'\(path)' can be written by other users"
            }
            if path == "/" { return nil }
            path = (path as NSString).deletingLastPathComponent
            if path.isEmpty { return nil }
        }
    }

    /// A fresh directory of this process's own (mkdtemp: mode 0700, never an existing path).
    static func privateDirectory(requested: URL, because reason: String) -> CacheDirectory {
        let path = makeTemporaryDirectory(prefix: "bpfsh-cache-") ?? FileManager.default.temporaryDirectory.path
        return CacheDirectory(url: URL(fileURLWithPath: path),
                              warning: "the cache '\(requested.path)' is not used: \(reason), and bpfsh loads what it "
                                  + "finds there into the kernel; this session compiles into a private cache (\(path))")
    }

    /// mkdtemp(3) under the temporary directory: mode 0700, a name no one had.
    private static func makeTemporaryDirectory(prefix: String) -> String? {
        var template = Array((FileManager.default.temporaryDirectory.path + "/" + prefix + "XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, let made = mkdtemp(base) else { return nil }
            return String(cString: made)
        }
    }

    /// A scratch directory for one session's compiles (mkdtemp: 0700, unique). Those of
    /// sessions that died without cleaning up (SIGKILL) are removed first.
    static func scratch() throws -> URL {
        removeScratchOfDeadSessions()
        guard let made = makeTemporaryDirectory(prefix: "bpfsh-\(getpid())-") else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: FileManager.default.temporaryDirectory.path])
        }
        return URL(fileURLWithPath: made)
    }

    /// `bpfsh-PID-XXXXXX` folders of our own whose process no longer exists.
    static func removeScratchOfDeadSessions() {
        let temporary = FileManager.default.temporaryDirectory.path
        for name in FileSystemLookup.names(in: temporary, withPrefix: "bpfsh-") ?? [] {
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[2].count == 6, let pid = Int32(parts[1]), pid > 0, pid != getpid() else { continue }
            let path = temporary + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
