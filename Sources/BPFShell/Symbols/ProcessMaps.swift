import Foundation

/// A snapshot of /proc/PID/maps: which file each executable range of a process maps.
/// Taken while the process lives, so its stacks still symbolize after it exits.
struct ProcessMaps {
    struct Region {
        var start: UInt64
        var end: UInt64
        var fileOffset: UInt64
        /// A file's path, `[vdso]`, or `//anon` for anonymous code (a JIT's, as perf names it).
        var path: String
        /// What a frame shows after the function: the file's name, `[vdso]`, `//anon`.
        var fileName: String

        var isAnonymous: Bool { path == ProcessMaps.anonymousPath }
        var isVDSO: Bool { path == "[vdso]" }
    }

    static let anonymousPath = "//anon"

    var regions: [Region]
    /// Symbols a JIT published in /tmp/perf-PID.map (the convention perf reads).
    var jitSymbols: SymbolTable?

    init?(pid: UInt32) {
        guard let text = KernelFile.read("/proc/\(pid)/maps") else { return nil }
        regions = ProcessMaps.parse(text)
        guard !regions.isEmpty else { return nil }
        if regions.contains(where: \.isAnonymous), let perfMap = KernelFile.read("/tmp/perf-\(pid).map") {
            jitSymbols = ProcessMaps.parsePerfMap(perfMap)
        }
    }

    init(regions: [Region]) {
        self.regions = regions
    }

    /// "start-end perms offset dev inode [path]" lines; only executable ones.
    static func parse(_ text: String) -> [Region] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[1].contains("x") else { return nil }
            let bounds = fields[0].split(separator: "-")
            var path = fields.count == 6 ? fields[5].trimmingCharacters(in: .whitespaces) : ""
            if path.isEmpty || path.hasPrefix("[anon") { path = anonymousPath }
            guard bounds.count == 2, path.hasPrefix("/") || path == "[vdso]",
                  let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16),
                  let offset = UInt64(fields[2], radix: 16) else { return nil }
            let fileName = path.hasPrefix("/") && path != anonymousPath ? String(path.split(separator: "/").last ?? Substring(path)) : path
            return Region(start: start, end: end, fileOffset: offset, path: path, fileName: fileName)
        }
    }

    /// "START SIZE name" lines in hex, as JITs write them for perf.
    static func parsePerfMap(_ text: String) -> SymbolTable {
        SymbolTable(text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count == 3, let start = UInt64(fields[0].replacingOccurrences(of: "0x", with: ""), radix: 16),
                  let size = UInt64(fields[1].replacingOccurrences(of: "0x", with: ""), radix: 16) else { return nil }
            return SymbolTable.Symbol(address: start, size: size, name: String(fields[2]))
        })
    }

    func region(containing address: UInt64) -> Region? {
        regions.first { $0.start <= address && address < $0.end }
    }
}
