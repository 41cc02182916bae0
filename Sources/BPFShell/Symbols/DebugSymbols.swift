import Foundation

/// Every function symbol known for a binary, the way debuggers find them: its own
/// .dynsym and .symtab, then a separate debug file (by build id under
/// /usr/lib/debug/.build-id, else by .gnu_debuglink with its CRC checked), then
/// MiniDebugInfo (.gnu_debugdata, an xz-compressed ELF of symbols). A stripped libc
/// names only its exports; its debug file names `__libc_start_call_main` too.
struct DebugSymbols {
    var debugRoot = "/usr/lib/debug"

    func table(forFileAt path: String) -> ELFSymbolTable? {
        guard let file = ELFFile(path: path) else { return nil }
        var merged = SymbolMerger()
        merged.add(file.functionSymbols())
        if !file.hasSymbolTable, let debugFile = separateDebugFile(of: file, at: path) {
            merged.add(debugFile.functionSymbols())
        }
        if let compressed = file.sectionBytes(named: ".gnu_debugdata"), let bytes = XZDecoder.decode(compressed),
           let mini = ELFFile(bytes: bytes) {
            merged.add(mini.functionSymbols())
        }
        return file.symbolTable(with: merged.symbols)
    }

    /// The separate debug file: by build id first (exact by construction), then by debuglink.
    func separateDebugFile(of file: ELFFile, at path: String) -> ELFFile? {
        if let id = file.buildID(), id.count > 2 {
            let candidate = "\(debugRoot)/.build-id/\(id.prefix(2))/\(id.dropFirst(2)).debug"
            if let debugFile = ELFFile(path: candidate), debugFile.buildID() == id { return debugFile }
        }
        guard let link = file.debugLink() else { return nil }
        let directory = (URL(fileURLWithPath: path).resolvingSymlinksInPath().path as NSString).deletingLastPathComponent
        for candidate in ["\(directory)/\(link.name)", "\(directory)/.debug/\(link.name)", "\(debugRoot)\(directory)/\(link.name)"]
            where candidate != path {
            guard let bytes = FileManager.default.contents(atPath: candidate), CRC32.checksum(bytes) == link.crc else { continue }
            if let debugFile = ELFFile(path: candidate) { return debugFile }
        }
        return nil
    }
}

/// Symbols from several sources for one file: the first name given for an address
/// wins (the exported name over an internal alias).
private struct SymbolMerger {
    private var seen = Set<UInt64>()
    private(set) var symbols: [SymbolTable.Symbol] = []

    mutating func add(_ more: [SymbolTable.Symbol]) {
        for symbol in more where seen.insert(symbol.address).inserted {
            symbols.append(symbol)
        }
    }
}

/// The CRC-32 (IEEE 802.3) .gnu_debuglink records of its debug file.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        ~bytes.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
    }
}
