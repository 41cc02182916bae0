import Foundation

/// Symbolizes stacks from the session's stack map: kernel frames from kallsyms, user
/// frames from the snapshot of the process's mappings and the mapped files' symbols.
final class StackSymbolizer: StackResolver {
    /// The addresses of a recorded stack, by id (nil once it is gone from the stack map).
    private let addresses: (Int32) -> [UInt64]?
    private let kernel: KernelSymbols
    private let processMaps: (UInt32) -> ProcessMaps?
    private let files: BinarySymbolCache
    /// The tables this symbolizer has asked for: each file is checked once per print, not per frame.
    private var tables: [String: ELFSymbolTable?] = [:]
    /// Frames already named in this print: stacks repeat the same few thousand addresses.
    /// By process and address first (two integers hash fast), then by file and offset
    /// (processes of one program share the names but not the addresses).
    private var processFrames: [ProcessAddress: String] = [:]
    private var userFrames: [UserFrame: String] = [:]
    private var kernelFrames: [UInt64: String] = [:]

    private struct ProcessAddress: Hashable {
        var pid: UInt32
        var address: UInt64
    }

    private struct UserFrame: Hashable {
        var path: String
        var fileOffset: UInt64
    }
    /// Keep the kernel's dispatch into the probe (`set stack-frames all`).
    private let keepsTracingFrames: Bool

    /// probe_name() values the session can name.
    private let pointLabels: [UInt32: String]

    init(addresses: @escaping (Int32) -> [UInt64]?, kernel: KernelSymbols, files: BinarySymbolCache = BinarySymbolCache(),
         pointLabels: [UInt32: String] = [:], keepsTracingFrames: Bool = false,
         processMaps: @escaping (UInt32) -> ProcessMaps?) {
        self.addresses = addresses
        self.pointLabels = pointLabels
        self.kernel = kernel
        self.files = files
        self.keepsTracingFrames = keepsTracingFrames
        self.processMaps = processMaps
    }

    func name(of reference: SymbolReference) -> String? {
        switch reference {
        case let .probePoint(id): return pointLabels[id]
        case let .kernelAddress(address): return FrameName.clean(kernel.describe(address))
        case let .userAddress(pid, address):
            guard let maps = processMaps(pid) else { return "0x" + String(address, radix: 16) + " (process \(pid): mappings unknown)" }
            return describeUser(address, pid: pid, maps)
        }
    }

    func frames(for stack: StackTrace) -> [String] {
        guard stack.id >= 0 else {
            if stack.id == -14 {
                return [stack.isUser ? "[no user stack: a kernel thread, or not readable]" : "[no kernel stack: the event was in user space]"]
            }
            if stack.id == -17 {
                return ["[no stack: its slot in the stack map holds another stack (more slots: set stack-slots, before the first stack probe)]"]
            }
            return ["[no stack: bpf_get_stackid returned \(stack.id)]"]
        }
        guard let addresses = addresses(stack.id) else {
            return ["[stack \(stack.id) no longer in the stack map]"]
        }
        guard stack.isUser, let pid = stack.pid else {
            let shown = keepsTracingFrames ? addresses[...] : TracingFrames.trimmed(addresses, function: kernel.functionName)
            return shown.map(kernelFrame)
        }
        guard let maps = processMaps(pid) else {
            return addresses.map { "0x" + String($0, radix: 16) + " (process \(pid): mappings unknown)" }
        }
        return addresses.map { describeUser($0, pid: pid, maps) }
    }

    private func describeUser(_ address: UInt64, pid: UInt32, _ maps: ProcessMaps) -> String {
        let processAddress = ProcessAddress(pid: pid, address: address)
        if let known = processFrames[processAddress] { return known }
        let named = describeUncached(address, maps)
        processFrames[processAddress] = named
        return named
    }

    private func describeUncached(_ address: UInt64, _ maps: ProcessMaps) -> String {
        guard let region = maps.region(containing: address) else { return "0x" + String(address, radix: 16) }
        if region.isAnonymous {
            // JIT-ed code: named only if the JIT wrote a perf map, like perf shows it.
            if let name = maps.jitSymbols?.describe(address) { return FrameName.clean("\(name) ([jit])") }
            return "[unknown] (\(ProcessMaps.anonymousPath))"
        }
        let fileOffset = address - region.start + region.fileOffset
        let frame = UserFrame(path: region.path, fileOffset: fileOffset)
        if let known = userFrames[frame] { return known }
        let named = describe(fileOffset: fileOffset, in: region)
        userFrames[frame] = named
        return named
    }

    private func kernelFrame(_ address: UInt64) -> String {
        if let known = kernelFrames[address] { return known }
        let named = FrameName.clean(kernel.describe(address))
        kernelFrames[address] = named
        return named
    }

    private func describe(fileOffset: UInt64, in region: ProcessMaps.Region) -> String {
        let file = region.fileName
        let table = region.isVDSO ? VDSO.symbolTable : fileTable(region.path)
        if let name = table?.describe(fileOffset: fileOffset) { return FrameName.clean("\(name) (\(file))") }
        return FrameName.clean("0x\(String(fileOffset, radix: 16)) (\(file))")
    }

    private func fileTable(_ path: String) -> ELFSymbolTable? {
        if let known = tables[path] { return known }
        let table = files.table(forFileAt: path)
        tables[path] = table
        return table
    }
}

/// Symbol tables of the binaries user stacks run through, read once per file version
/// for the whole session (libc's debug symbols are tens of thousands).
final class BinarySymbolCache {
    private let tables = FileVersionCache<ELFSymbolTable?>()
    private let loader = DebugSymbols()

    func table(forFileAt path: String) -> ELFSymbolTable? {
        tables.value(forFileAt: path) { loader.table(forFileAt: path) }
    }
}
