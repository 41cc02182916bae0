import Foundation

/// The vDSO's symbols. Every process of a kernel maps the same vDSO image, so bpfsh
/// reads its own (the `[vdso]` line of its own mappings) to name frames of any process.
enum VDSO {
    nonisolated(unsafe) private static var cached: ELFSymbolTable??

    static var symbolTable: ELFSymbolTable? {
        if let cached { return cached }
        let table = loadOwnImage()?.symbolTable()
        cached = .some(table)
        return table
    }

    private static func loadOwnImage() -> ELFFile? {
        guard let maps = KernelFile.read("/proc/self/maps"), let region = ProcessMaps.parse(maps).first(where: \.isVDSO),
              let base = UnsafeRawPointer(bitPattern: UInt(region.start)) else { return nil }
        return ELFFile(bytes: Array(UnsafeRawBufferPointer(start: base, count: Int(region.end - region.start))))
    }
}
