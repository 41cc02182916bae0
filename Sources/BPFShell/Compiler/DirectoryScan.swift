import Foundation

/// Looks in directories the start-up path searches (PATH for clang, the temporary
/// directory for dead sessions' scratch folders) with readdir(3) and stat(2):
/// /usr/bin and /tmp hold thousands of names, and Foundation's listing made a String
/// for each (2–3 ms a directory, before the first probe could compile), while its
/// attributes asked /etc/passwd and /etc/group for owner names nobody read.
enum DirectoryScan {
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
