import Foundation

/// Directories and files looked at with readdir(3) and stat(2), not Foundation: the
/// start-up path searches PATH for clang and the temporary directory for dead sessions'
/// scratch folders, and /usr/bin and /tmp hold thousands of names, for each of which
/// Foundation's listing made a String (2–3 ms a directory, before the first probe could
/// compile); its attributes also asked /etc/passwd and /etc/group for owner names.
enum FileSystemLookup {
    /// The names in `path` that start with `prefix`; nil when it cannot be read.
    static func names(in path: String, withPrefix prefix: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        let wanted = Array(prefix.utf8)
        var names: [String] = []
        while let entry = readdir(directory) {
            let name: String? = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                // Only a match becomes a String.
                guard bytes.count > wanted.count, bytes.prefix(wanted.count).elementsEqual(wanted) else { return nil }
                return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let name { names.append(name) }
        }
        return names
    }

    /// The file's stat(2) (following links), or nil.
    static func status(of path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    /// Size and modification time: a file rewritten since (a rebuilt binary) stamps
    /// differently; "missing" when it cannot be read.
    static func stamp(of path: String) -> String {
        guard let info = status(of: path) else { return "missing" }
        return "\(info.st_size)@\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    /// Identifies a directory across the names it has (/bin is /usr/bin on merged-/usr systems).
    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }
}

/// Values made from a file (its symbols, its functions), kept by path while its stamp
/// (size and modification time) stays the same: a rebuilt binary is read again.
final class FileVersionCache<Value> {
    private var entries: [String: (stamp: String, value: Value)] = [:]

    func value(forFileAt path: String, make: () -> Value) -> Value {
        let stamp = FileSystemLookup.stamp(of: path)
        if let cached = entries[path], cached.stamp == stamp { return cached.value }
        let value = make()
        entries[path] = (stamp, value)
        return value
    }
}
