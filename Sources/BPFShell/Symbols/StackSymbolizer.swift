import Foundation

/// Symbolizes stacks from the session's stack map: kernel frames from kallsyms, user
/// frames from the snapshot of the process's mappings and the mapped files' symbols.
final class StackSymbolizer: StackResolver {
    /// The addresses of a recorded stack, by id (nil once it is gone from the stack map).
    private let addresses: (Int32) -> [UInt64]?
    private let kernel: KernelSymbols
    private let processMaps: (UInt32) -> ProcessMaps?
    private var tables: [String: ELFSymbolTable] = [:]

    /// probe_name() values the session can name.
    private let pointLabels: [UInt32: String]

    init(addresses: @escaping (Int32) -> [UInt64]?, kernel: KernelSymbols, pointLabels: [UInt32: String] = [:],
         processMaps: @escaping (UInt32) -> ProcessMaps?) {
        self.addresses = addresses
        self.pointLabels = pointLabels
        self.kernel = kernel
        self.processMaps = processMaps
    }

    func name(of reference: SymbolReference) -> String? {
        switch reference {
        case let .probePoint(id): return pointLabels[id]
        case let .kernelAddress(address): return kernel.describe(address)
        case let .userAddress(pid, address):
            guard let maps = processMaps(pid) else { return "0x" + String(address, radix: 16) + " (process \(pid): mappings unknown)" }
            return describeUser(address, maps)
        }
    }

    func frames(for stack: StackTrace) -> [String] {
        guard stack.id >= 0 else {
            if stack.id == -14 {
                return [stack.isUser ? "[no user stack: a kernel thread, or not readable]" : "[no kernel stack: the event was in user space]"]
            }
            return ["[no stack: bpf_get_stackid returned \(stack.id)\(stack.id == -17 ? ", the stack map is full" : "")]"]
        }
        guard let addresses = addresses(stack.id) else {
            return ["[stack \(stack.id) no longer in the stack map]"]
        }
        guard stack.isUser, let pid = stack.pid else { return addresses.map(kernel.describe) }
        guard let maps = processMaps(pid) else {
            return addresses.map { "0x" + String($0, radix: 16) + " (process \(pid): mappings unknown)" }
        }
        return addresses.map { describeUser($0, maps) }
    }

    private func describeUser(_ address: UInt64, _ maps: ProcessMaps) -> String {
        guard let region = maps.region(containing: address) else { return "0x" + String(address, radix: 16) }
        let fileOffset = address - region.start + region.fileOffset
        let file = (region.path as NSString).lastPathComponent
        if tables[region.path] == nil { tables[region.path] = ELFFile(path: region.path)?.symbolTable() }
        if let name = tables[region.path]?.describe(fileOffset: fileOffset) { return "\(name) (\(file))" }
        return "0x\(String(fileOffset, radix: 16)) (\(file))"
    }
}
