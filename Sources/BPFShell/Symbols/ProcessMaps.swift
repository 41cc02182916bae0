import Foundation

/// A snapshot of /proc/PID/maps: which file each executable range of a process maps.
/// Taken while the process lives, so its stacks still symbolize after it exits.
struct ProcessMaps {
    struct Region {
        var start: UInt64
        var end: UInt64
        var fileOffset: UInt64
        var path: String
    }

    var regions: [Region]

    init?(pid: UInt32) {
        guard let text = KernelFile.read("/proc/\(pid)/maps") else { return nil }
        regions = ProcessMaps.parse(text)
        guard !regions.isEmpty else { return nil }
    }

    init(regions: [Region]) {
        self.regions = regions
    }

    /// "start-end perms offset dev inode path" lines; only executable, file-backed ones.
    static func parse(_ text: String) -> [Region] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[1].contains("x") else { return nil }
            let bounds = fields[0].split(separator: "-")
            let path = fields[5].trimmingCharacters(in: .whitespaces)
            guard bounds.count == 2, path.hasPrefix("/"), let start = UInt64(bounds[0], radix: 16),
                  let end = UInt64(bounds[1], radix: 16), let offset = UInt64(fields[2], radix: 16) else { return nil }
            return Region(start: start, end: end, fileOffset: offset, path: path)
        }
    }

    func region(containing address: UInt64) -> Region? {
        regions.first { $0.start <= address && address < $0.end }
    }
}
