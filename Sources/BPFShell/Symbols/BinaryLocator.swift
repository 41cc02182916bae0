import Foundation

/// Turns what a user types for a binary (a path, a command on PATH, or a library name
/// such as `libc`) into a file path.
public enum BinaryLocator {
    static let libraryDirectories = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                                     "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
                                     "/usr/local/lib"]

    static func isELF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data([0x7f, 0x45, 0x4c, 0x46])
    }

    public static func resolve(_ name: String) -> String? {
        let fileManager = FileManager.default
        if name.contains("/") { return fileManager.fileExists(atPath: name) ? name : nil }
        if name.hasPrefix("lib") {
            for directory in libraryDirectories {
                guard let entries = try? fileManager.contentsOfDirectory(atPath: directory) else { continue }
                // libc → libc.so.6: versioned names first (a bare libc.so is often a linker
                // script), then the shortest; only real ELF files count.
                let matches = entries.filter { $0 == name || $0.hasPrefix(name + ".so") }.sorted {
                    ($0.contains(".so.") ? 0 : 1, $0.count) < ($1.contains(".so.") ? 0 : 1, $1.count)
                }
                if let match = matches.first(where: { isELF(directory + "/" + $0) }) { return directory + "/" + match }
            }
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
