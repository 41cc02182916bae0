/// Symbols sorted by address, looked up by binary search: kernel symbols from
/// /proc/kallsyms and function symbols of ELF files share it.
public struct SymbolTable: Sendable {
    public struct Symbol: Sendable {
        public var address: UInt64
        /// 0 when unknown (kallsyms gives none): the symbol then covers up to the next one.
        public var size: UInt64
        public var name: String
        /// The kernel module that holds it ("ext4"), shown after the offset.
        public var module: String?

        public init(address: UInt64, size: UInt64 = 0, name: String, module: String? = nil) {
            self.address = address
            self.size = size
            self.name = name
            self.module = module
        }
    }

    private let symbols: [Symbol]

    public init(_ symbols: [Symbol]) {
        self.symbols = symbols.sorted { $0.address < $1.address }
    }

    public var isEmpty: Bool { symbols.isEmpty }

    /// Every symbol's name (for tests and listings).
    var allNames: [String] { symbols.map(\.name) }

    /// The symbol at or before `address` that covers it.
    public func symbol(containing address: UInt64) -> Symbol? {
        var low = 0, high = symbols.count - 1, found = -1
        while low <= high {
            let middle = (low + high) / 2
            if symbols[middle].address <= address {
                found = middle
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        guard found >= 0 else { return nil }
        let symbol = symbols[found]
        guard symbol.size == 0 || address - symbol.address < symbol.size else { return nil }
        return symbol
    }

    /// "function+0x1c" for an address ("function+0x1c [module]" in a kernel module),
    /// or nil when no symbol covers it.
    public func describe(_ address: UInt64) -> String? {
        guard let symbol = symbol(containing: address) else { return nil }
        let offset = address - symbol.address
        let located = offset == 0 ? symbol.name : "\(symbol.name)+0x\(String(offset, radix: 16))"
        guard let module = symbol.module else { return located }
        return "\(located) [\(module)]"
    }
}
