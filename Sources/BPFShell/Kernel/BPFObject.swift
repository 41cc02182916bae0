import CLibBPF
import Foundation

/// Owns a libbpf object from open to close: its ELF bytes, its programs and the maps
/// libbpf created for it (internal .rodata/.bss); session maps are bound by fd.
public final class BPFObject {
    let handle: OpaquePointer
    private let elf: UnsafeMutableRawBufferPointer
    private var isClosed = false
    public let name: String

    /// Opens (but does not load) an object from ELF bytes.
    /// The corresponding libbpf function is `bpf_object__open_mem`.
    public init(elf bytes: [UInt8], name: String) throws(KernelError) {
        // libbpf keeps pointing into the buffer until load finishes: give it memory we own.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        var options = bpf_object_open_opts()
        options.sz = MemoryLayout<bpf_object_open_opts>.stride
        LibBPF.clearLog()
        let opened = name.withCString { cName -> OpaquePointer? in
            options.object_name = cName
            return bpf_object__open_mem(buffer.baseAddress, bytes.count, &options)
        }
        do {
            handle = try LibBPF.pointer(opened, .openObject, name)
        } catch {
            buffer.deallocate()
            throw error
        }
        elf = buffer
        self.name = name
    }

    /// Binds the object's map `name` to an existing kernel map, so no new map is created.
    /// The corresponding libbpf function is `bpf_map__reuse_fd`.
    public func reuse(map mapName: String, fd: Int32) throws(KernelError) {
        guard let map = bpf_object__find_map_by_name(handle, mapName) else { return }
        try LibBPF.check(bpf_map__reuse_fd(map, fd), .reuseMap, "'\(mapName)'")
    }

    public var mapNames: [String] {
        var names: [String] = []
        var map = bpf_object__next_map(handle, nil)
        while let current = map {
            if let name = bpf_map__name(current) { names.append(String(cString: name)) }
            map = bpf_object__next_map(handle, current)
        }
        return names
    }

    /// Asks the verifier for its log at `level` for every program (used by `show NAME log`).
    public func requestVerifierLog(level: UInt32, buffer: UnsafeMutablePointer<CChar>, size: Int) {
        var program = bpf_object__next_program(handle, nil)
        while let current = program {
            bpf_program__set_log_level(current, level)
            bpf_program__set_log_buf(current, buffer, size)
            program = bpf_object__next_program(handle, current)
        }
    }

    /// Creates internal maps and loads every program through the verifier.
    /// The corresponding libbpf function is `bpf_object__load`.
    public func load() throws(KernelError) {
        LibBPF.clearLog()
        try LibBPF.check(bpf_object__load(handle), .loadObject, "'\(name)'")
    }

    public func program(named name: String) -> BPFProgram? {
        guard let program = bpf_object__find_program_by_name(handle, name) else { return nil }
        return BPFProgram(handle: program, object: self, name: name)
    }

    /// The fd of one of the object's maps (for maps the object created itself).
    public func mapFD(named name: String) -> Int32? {
        guard let map = bpf_object__find_map_by_name(handle, name) else { return nil }
        let fd = bpf_map__fd(map)
        return fd >= 0 ? fd : nil
    }

    /// Sets a single-variable read-only section (such as `.rodata.bpfsh`) before load.
    /// The corresponding libbpf function is `bpf_map__set_initial_value`.
    public func setInitialValue(_ section: String, to value: UInt32) throws(KernelError) {
        guard let map = bpf_object__find_map_by_name(handle, section) else {
            throw KernelError(.updateMap, subject: section, errno: ENOENT)
        }
        var stored = value
        try LibBPF.check(bpf_map__set_initial_value(map, &stored, 4), .updateMap, section)
    }

    /// Writes a 4-byte value into a single-variable data section such as `.data.bpfsh`.
    /// The corresponding libbpf function is `bpf_map_update_elem`.
    public func setSectionValue(_ section: String, to value: Int32) throws(KernelError) {
        guard let map = bpf_object__find_map_by_name(handle, section) else {
            throw KernelError(.updateMap, subject: section, errno: ENOENT)
        }
        var key: UInt32 = 0
        var stored = value
        try LibBPF.check(bpf_map_update_elem(bpf_map__fd(map), &key, &stored, 0), .updateMap, section)
    }

    /// The object's BTF, valid while the object is open.
    var btf: OpaquePointer? { bpf_object__btf(handle) }

    /// A map's capacity as declared (known from open on, before any load).
    /// The corresponding libbpf function is `bpf_map__max_entries`.
    func mapMaxEntries(named name: String) -> Int? {
        guard let map = bpf_object__find_map_by_name(handle, name) else { return nil }
        return Int(bpf_map__max_entries(map))
    }

    /// The kernel memory a map of the object will take once created (known from open on).
    /// The corresponding libbpf functions are `bpf_map__type`, `bpf_map__key_size`,
    /// `bpf_map__value_size` and `bpf_map__max_entries`.
    func mapFootprint(named name: String) -> MapFootprint? {
        guard let map = bpf_object__find_map_by_name(handle, name) else { return nil }
        return MapFootprint(type: bpf_map__type(map), keySize: bpf_map__key_size(map), valueSize: bpf_map__value_size(map),
                            maxEntries: bpf_map__max_entries(map), possibleCPUs: Int(libbpf_num_possible_cpus()))
    }

    /// Throws when a map would take more kernel memory than `limit` allows.
    func checkFootprint(ofMap name: String, within limit: MapMemoryLimit) throws(KernelError) {
        guard let footprint = mapFootprint(named: name), footprint.bytes > limit.bytes else { return }
        throw KernelError.mapTooLarge(name, footprint: footprint, limit: limit)
    }

    /// A map's key and value types from the object's BTF (known from open on).
    func mapTypes(named name: String) -> (key: ValueType, value: ValueType)? {
        guard let ids = mapBTFTypeIDs(named: name), let btf else { return nil }
        let reader = BTFReader(btf: btf)
        return (reader.valueType(ids.key), reader.valueType(ids.value))
    }

    func mapBTFTypeIDs(named name: String) -> (key: UInt32, value: UInt32)? {
        guard let map = bpf_object__find_map_by_name(handle, name) else { return nil }
        return (bpf_map__btf_key_type_id(map), bpf_map__btf_value_type_id(map))
    }

    /// Releases programs and the maps libbpf created. Links must be destroyed first.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        bpf_object__close(handle)
        elf.deallocate()
    }

    deinit {
        assert(isClosed, "BPFObject '\(name)' released without close(): teardown missed it")
        close()
    }
}

/// A program inside an object; keeps the object alive while it is used.
public struct BPFProgram {
    let handle: OpaquePointer
    let object: BPFObject
    public let name: String

    public var fd: Int32 { bpf_program__fd(handle) }

    /// The corresponding libbpf function is `bpf_program__attach_tracepoint`.
    public func attachTracepoint(category: String, event: String) throws(KernelError) -> BPFLink {
        LibBPF.clearLog()
        let link = try LibBPF.pointer(bpf_program__attach_tracepoint(handle, category, event),
                                      .attach(.tracepoint), "\(category):\(event)")
        return BPFLink(handle: link, description: "tracepoint:\(category):\(event)")
    }

    /// The corresponding libbpf function is `bpf_program__attach_raw_tracepoint`.
    public func attachRawTracepoint(_ event: String) throws(KernelError) -> BPFLink {
        LibBPF.clearLog()
        let link = try LibBPF.pointer(bpf_program__attach_raw_tracepoint(handle, event),
                                      .attach(.rawTracepoint), event)
        return BPFLink(handle: link, description: "rawtracepoint:\(event)")
    }

    /// Attaches a BTF-typed program (tp_btf, fentry, fexit) to the target chosen at load.
    /// The corresponding libbpf function is `bpf_program__attach_trace`.
    public func attachTrace(kind: ProbeKind, target: String) throws(KernelError) -> BPFLink {
        LibBPF.clearLog()
        let link = try LibBPF.pointer(bpf_program__attach_trace(handle), .attach(kind), target)
        return BPFLink(handle: link, description: "\(kind.rawValue):\(target)")
    }
}

extension BPFProgram {
    /// The corresponding libbpf function is `bpf_program__attach_kprobe_opts`.
    public func attachKprobe(function: String, offset: Int, isReturn: Bool) throws(KernelError) -> BPFLink {
        var options = bpf_kprobe_opts()
        options.sz = MemoryLayout<bpf_kprobe_opts>.stride
        options.offset = offset
        options.retprobe = isReturn
        LibBPF.clearLog()
        let kind: ProbeKind = isReturn ? .kretprobe : .kprobe
        let link = try LibBPF.pointer(bpf_program__attach_kprobe_opts(handle, function, &options), .attach(kind), function)
        return BPFLink(handle: link, description: "\(kind.rawValue):\(function)")
    }

    /// Attaches at a file offset of an ELF file (bpfsh resolved the symbol; `label` names it).
    /// The corresponding libbpf function is `bpf_program__attach_uprobe_opts`.
    public func attachUprobe(binary: String, label: String, fileOffset: UInt64, isReturn: Bool) throws(KernelError) -> BPFLink {
        var options = bpf_uprobe_opts()
        options.sz = MemoryLayout<bpf_uprobe_opts>.stride
        options.retprobe = isReturn
        LibBPF.clearLog()
        let kind: ProbeKind = isReturn ? .uretprobe : .uprobe
        let link = bpf_program__attach_uprobe_opts(handle, -1, binary, Int(fileOffset), &options)
        return BPFLink(handle: try LibBPF.pointer(link, .attach(kind), "\(binary):\(label)"),
                       description: "\(kind.rawValue):\(binary):\(label)")
    }

    /// The corresponding libbpf function is `bpf_program__attach_usdt`.
    public func attachUSDT(binary: String, provider: String, name: String) throws(KernelError) -> BPFLink {
        LibBPF.clearLog()
        let link = try LibBPF.pointer(bpf_program__attach_usdt(handle, -1, binary, provider, name, nil),
                                      .attach(.usdt), "\(binary):\(provider):\(name)")
        return BPFLink(handle: link, description: "usdt:\(binary):\(provider):\(name)")
    }

    /// Attaches to an open perf event; the link owns and closes the event's fd.
    /// The corresponding libbpf function is `bpf_program__attach_perf_event`.
    public func attachPerfEvent(fd: Int32, kind: ProbeKind, description: String) throws(KernelError) -> BPFLink {
        LibBPF.clearLog()
        guard let link = bpf_program__attach_perf_event(handle, fd) else {
            let code = Foundation.errno
            Glibc.close(fd)
            throw KernelError(.attach(kind), subject: description, errno: code == 0 ? EINVAL : code, libbpfLog: LibBPF.takeLog())
        }
        return BPFLink(handle: link, description: description)
    }
}

/// An attachment; destroying it detaches the program.
public final class BPFLink {
    private var handle: OpaquePointer?
    public let description: String

    init(handle: OpaquePointer, description: String) {
        self.handle = handle
        self.description = description
    }

    /// Detaches. For tracepoints this waits for an RCU grace period inside the kernel
    /// (tens of milliseconds), which is why the session destroys links off the prompt.
    /// The corresponding libbpf function is `bpf_link__destroy`.
    public func destroy() {
        guard let handle else { return }
        self.handle = nil
        bpf_link__destroy(handle)
    }

    deinit {
        assert(handle == nil, "BPFLink \(description) released without destroy(): teardown missed it")
        destroy()
    }
}
