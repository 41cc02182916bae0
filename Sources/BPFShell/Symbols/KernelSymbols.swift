import Foundation

/// Kernel symbols from /proc/kallsyms: names for kprobes on functions BTF does not
/// describe, and addresses for symbolizing kernel stacks (root sees real addresses).
final class KernelSymbols {
    /// Read once, on first use (a static let is initialised once, whichever thread asks).
    private static let allFunctionNames: Set<String> = readFunctionNames()
    private(set) lazy var table: SymbolTable = Self.loadSymbols()

    static func functionNames() -> Set<String> { allFunctionNames }

    private static func readFunctionNames() -> Set<String> {
        var names = Set<String>()
        for line in (KernelFile.read("/proc/kallsyms") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3)
            // __pfx_ symbols are the padding before functions, not functions.
            guard fields.count >= 3, fields[1] == "T" || fields[1] == "t", !fields[2].hasPrefix("__pfx_") else { continue }
            names.insert(String(fields[2].split(separator: "\t").first ?? fields[2]))
        }
        return names
    }

    static func hasFunction(_ name: String) -> Bool { functionNames().contains(name) }

    private static func loadSymbols() -> SymbolTable {
        var symbols: [SymbolTable.Symbol] = []
        for line in (KernelFile.read("/proc/kallsyms") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count >= 3, let address = UInt64(fields[0], radix: 16), address != 0,
                  "TtWw".contains(fields[1]), !fields[2].hasPrefix("__pfx_") else { continue } // padding before functions
            symbols.append(symbol(at: address, named: fields[2]))
        }
        return SymbolTable(symbols)
    }

    /// A module's symbol reads "name\t[module]": the tab never reaches a frame, the
    /// module is kept to show after the offset.
    static func symbol(at address: UInt64, named field: Substring) -> SymbolTable.Symbol {
        let parts = field.split(separator: "\t", maxSplits: 1)
        guard parts.count == 2 else { return SymbolTable.Symbol(address: address, name: String(field)) }
        let module = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "[] \t"))
        return SymbolTable.Symbol(address: address, name: String(parts[0]), module: module.isEmpty ? nil : module)
    }

    /// "function+0x1c" for an instruction address.
    func describe(_ address: UInt64) -> String {
        table.describe(address) ?? "0x" + String(address, radix: 16)
    }

    /// The function holding an address, without offset or module.
    func functionName(at address: UInt64) -> String? {
        table.symbol(containing: address)?.name
    }
}
