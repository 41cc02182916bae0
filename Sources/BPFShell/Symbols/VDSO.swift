import Foundation

/// The vDSO's symbols. Every process of a kernel maps the same vDSO image, so bpfsh
/// reads its own (the `[vdso]` line of its own mappings) to name frames of any process.
enum VDSO {
    /// Read once, on first use; a static let is initialised once even when the metrics
    /// endpoint's thread and the prompt ask together.
    static let symbolTable: ELFSymbolTable? = loadOwnImage()?.symbolTable()

    private static func loadOwnImage() -> ELFFile? {
        guard let maps = KernelFile.read("/proc/self/maps"), let region = ProcessMaps.parse(maps).first(where: \.isVDSO),
              let base = UnsafeRawPointer(bitPattern: UInt(region.start)) else { return nil }
        return ELFFile(bytes: Array(UnsafeRawBufferPointer(start: base, count: Int(region.end - region.start))))
    }
}
