import Foundation

/// What a path names, from lstat(2): bpfsh writes and reads scripts only as regular files,
/// so a save never replaces a device, a FIFO or a link, and a load never blocks on one.
enum FileKind: Equatable {
    case missing, regular, directory, symbolicLink(target: String), other(String)

    init(path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            self = .missing
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink(target: (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
        case S_IFCHR: self = .other("a character device")
        case S_IFBLK: self = .other("a block device")
        case S_IFIFO: self = .other("a FIFO")
        case S_IFSOCK: self = .other("a socket")
        default: self = .other("not a regular file")
        }
    }

    /// Where a chain of links ends (a link to a file not yet written included).
    static func finalTarget(of path: String) -> String {
        var current = path
        for _ in 0..<16 {
            guard case let .symbolicLink(target) = FileKind(path: current) else { return current }
            current = target.hasPrefix("/") ? target
                : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(target).standardized.path
        }
        return current
    }

    /// What it is, for messages: "a directory", "a FIFO".
    var description: String {
        switch self {
        case .missing: return "missing"
        case .regular: return "a regular file"
        case .directory: return "a directory"
        case let .symbolicLink(target): return "a symbolic link to '\(target)'"
        case let .other(what): return what
        }
    }
}
