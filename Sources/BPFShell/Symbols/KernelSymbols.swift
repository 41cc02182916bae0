import Foundation

/// Kernel symbols from /proc/kallsyms: names for kprobes on functions BTF does not
/// describe, and addresses for symbolizing kernel stacks (root sees real addresses).
final class KernelSymbols {
    struct Symbol {
        var address: UInt64
        var name: String
    }

    nonisolated(unsafe) private static var cachedNames: Set<String>?
    private(set) lazy var sortedSymbols: [Symbol] = Self.loadSymbols()

    static func functionNames() -> Set<String> {
        if let cachedNames { return cachedNames }
        var names = Set<String>()
        for line in (KernelFile.read("/proc/kallsyms") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count >= 3, fields[1] == "T" || fields[1] == "t" else { continue }
            names.insert(String(fields[2]))
        }
        cachedNames = names
        return names
    }

    static func hasFunction(_ name: String) -> Bool { functionNames().contains(name) }

    private static func loadSymbols() -> [Symbol] {
        var symbols: [Symbol] = []
        for line in (KernelFile.read("/proc/kallsyms") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count >= 3, let address = UInt64(fields[0], radix: 16), address != 0,
                  "TtWw".contains(fields[1]), !fields[2].hasPrefix("__pfx_") else { continue } // padding before functions
            var name = String(fields[2])
            if fields.count == 4 { name += " " + fields[3].trimmingCharacters(in: .whitespaces) } // [module]
            symbols.append(Symbol(address: address, name: name))
        }
        return symbols.sorted { $0.address < $1.address }
    }

    /// "function+0x1c" for an instruction address.
    func describe(_ address: UInt64) -> String {
        let symbols = sortedSymbols
        var low = 0, high = symbols.count - 1, found = -1
        while low <= high {
            let mid = (low + high) / 2
            if symbols[mid].address <= address { found = mid; low = mid + 1 } else { high = mid - 1 }
        }
        guard found >= 0 else { return "0x" + String(address, radix: 16) }
        let symbol = symbols[found]
        let offset = address - symbol.address
        let name = symbol.name.split(separator: " ").first.map(String.init) ?? symbol.name
        return offset == 0 ? name : "\(name)+0x\(String(offset, radix: 16))"
    }
}
