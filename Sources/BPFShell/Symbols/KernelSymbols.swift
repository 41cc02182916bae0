import Foundation

/// Kernel function names from /proc/kallsyms, for kprobes on functions BTF does not
/// describe (static functions, modules without BTF).
enum KernelSymbols {
    nonisolated(unsafe) private static var cache: Set<String>?

    static func functionNames() -> Set<String> {
        if let cache { return cache }
        var names = Set<String>()
        if let text = KernelFile.read("/proc/kallsyms") {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ", maxSplits: 3)
                guard fields.count >= 3, fields[1] == "T" || fields[1] == "t" else { continue }
                names.insert(String(fields[2]))
            }
        }
        cache = names
        return names
    }

    static func hasFunction(_ name: String) -> Bool { functionNames().contains(name) }
}
