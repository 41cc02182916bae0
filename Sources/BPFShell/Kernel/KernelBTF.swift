import CLibBPF
import CShim
import Foundation

/// The running kernel's BTF: its identity for caches, vmlinux.h, and the typed
/// signatures of BTF-enabled tracepoints.
public final class KernelBTF {
    public static let path = "/sys/kernel/btf/vmlinux"
    private var loaded: OpaquePointer?

    public init() {}

    /// The kernel's BTF hash, remembered for the current boot in `cacheRoot`: the kernel
    /// cannot change without a reboot (kexec included), and sysfs hands the BTF out a
    /// page per read, so hashing it costs ~30 ms that every start would pay.
    public static func identity(cacheRoot: URL) throws(KernelError) -> String {
        let remembered = cacheRoot.appendingPathComponent("kernel-identity")
        let bootID = KernelFile.read("/proc/sys/kernel/random/boot_id")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if !bootID.isEmpty, let text = KernelFile.read(remembered.path) {
            let lines = text.split(separator: "\n").map(String.init)
            if lines.count == 2, lines[0] == bootID { return lines[1] }
        }
        let key = try identity()
        if !bootID.isEmpty {
            // Best effort: without it the next start hashes again.
            try? FileManager.default.createDirectory(at: cacheRoot, withIntermediateDirectories: true)
            let partial = cacheRoot.appendingPathComponent("kernel-identity.\(getpid())")
            if FileManager.default.createFile(atPath: partial.path, contents: Data("\(bootID)\n\(key)\n".utf8)) {
                if rename(partial.path, remembered.path) != 0 { try? FileManager.default.removeItem(at: partial) }
            }
        }
        return key
    }

    /// A hash of the kernel's BTF: the cache key for headers and objects.
    public static func identity() throws(KernelError) -> String {
        // Read in chunks: holding the whole (megabytes of) BTF would only raise peak memory.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw KernelError(.readBTF, subject: path, errno: Foundation.errno,
                              hint: "this kernel exposes no BTF (CONFIG_DEBUG_INFO_BTF); bpfsh needs it for CO-RE")
        }
        defer { Glibc.close(fd) }
        var hash = StableHash()
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, Foundation.errno == EINTR { continue }
            guard count >= 0 else { throw KernelError(.readBTF, subject: path, errno: Foundation.errno) }
            if count == 0 { break }
            chunk.withUnsafeBytes { hash.add(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return hash.hex
    }

    private func btf() throws(KernelError) -> OpaquePointer {
        if let loaded { return loaded }
        LibBPF.clearLog()
        let btf = try LibBPF.pointer(btf__load_vmlinux_btf(), .readBTF, Self.path)
        loaded = btf
        return btf
    }

    /// vmlinux.h: every kernel type as C, with CO-RE relocations on every record.
    /// The corresponding libbpf function is `btf_dump__dump_type`.
    public func vmlinuxHeader() throws -> String {
        let btf = try btf()
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else {
            throw KernelError(.readBTF, subject: "vmlinux.h", errno: Foundation.errno)
        }
        fputs("""
        #ifndef __VMLINUX_H__
        #define __VMLINUX_H__
        #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
        #pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
        #endif

        """, stream)
        guard let dump = bpfsh_btf_dump_to_file(btf, stream) else {
            fclose(stream)
            free(buffer)
            throw KernelError(.readBTF, subject: "vmlinux.h", errno: Foundation.errno)
        }
        let count = btf__type_cnt(btf)
        var failure: Int32 = 0
        for id in 1..<count {
            let result = btf_dump__dump_type(dump, id)
            if result < 0 { failure = -result; break }
        }
        btf_dump__free(dump)
        fputs("""

        #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
        #pragma clang attribute pop
        #endif
        #endif /* __VMLINUX_H__ */

        """, stream)
        fclose(stream)
        defer { free(buffer) }
        if failure != 0 { throw KernelError(.readBTF, subject: "vmlinux.h", errno: failure) }
        guard let buffer else { return "" }
        return Self.renameGenericStructs(String(cString: buffer))
    }

    /// Kernel structs with names users pick for their own types (DESIGN's example
    /// declares `struct key`). They are renamed to a CO-RE flavour: libbpf ignores a
    /// `___suffix` when matching types, so relocations against them still resolve.
    static let genericStructNames = ["key", "sample", "node", "bucket", "stat", "event", "entry", "value", "data"]

    static func renameGenericStructs(_ header: String) -> String {
        let alternatives = genericStructNames.joined(separator: "|")
        guard let pattern = try? NSRegularExpression(pattern: "\\bstruct (\(alternatives))\\b(?!___)") else { return header }
        return pattern.stringByReplacingMatches(in: header, range: NSRange(header.startIndex..., in: header),
                                                withTemplate: "struct $1___kernel")
    }

    /// The named parameters of a BTF-enabled tracepoint, from the kernel's
    /// `__bpf_trace_EVENT` function (its first parameter is the tracepoint's data).
    public func tracepointParameters(_ event: String) throws(KernelError) -> [TypedParameter]? {
        let btf = try btf()
        let id = btf__find_by_name_kind(btf, "__bpf_trace_\(event)", BTFKind.function.number)
        guard id > 0, let function = btf__type_by_id(btf, UInt32(id)),
              let proto = btf__type_by_id(btf, function.pointee.type) else {
            // An event defined from a template (DEFINE_EVENT: sched_wakeup from
            // sched_wakeup_template) has no function of its own: its typedef gives the types.
            return templateParameters(event, btf: btf)
        }
        return named(parameters: proto, btf: btf)
    }

    /// `btf_trace_EVENT`'s prototype (a pointer to it), with the names of the template
    /// function of the same parameter types when every such function agrees on them.
    private func templateParameters(_ event: String, btf: OpaquePointer) -> [TypedParameter]? {
        let typedefID = btf__find_by_name_kind(btf, "btf_trace_\(event)", BTFKind.typedef.number)
        guard typedefID > 0, let typedef = btf__type_by_id(btf, UInt32(typedefID)),
              let pointer = btf__type_by_id(btf, typedef.pointee.type), BTFKind(of: pointer) == .pointer,
              let proto = btf__type_by_id(btf, pointer.pointee.type), BTFKind(of: proto) == .functionPrototype else {
            return typedefID > 0 ? [] : nil
        }
        let wanted = Self.parameterTypes(proto)
        // Templates of the same parameter types, by how much of their name the event's
        // shares (sched_wakeup: sched_wakeup_template before sched_process_template).
        var best: (shared: Int, namings: Set<[String]>, proto: UnsafePointer<btf_type>?) = (0, [], nil)
        for id in 1..<btf__type_cnt(btf) {
            guard let type = btf__type_by_id(btf, id), BTFKind(of: type) == .function,
                  let name = btf__name_by_offset(btf, type.pointee.name_off), strncmp(name, "__bpf_trace_", 12) == 0,
                  let candidate = btf__type_by_id(btf, type.pointee.type), Self.parameterTypes(candidate) == wanted else { continue }
            let shared = zip(String(cString: name).dropFirst(12), event).prefix { $0 == $1 }.count
            if shared > best.shared {
                best = (shared, [Self.parameterNames(candidate, btf: btf)], candidate)
            } else if shared == best.shared {
                best.namings.insert(Self.parameterNames(candidate, btf: btf))
            }
        }
        // Names only when the closest templates agree on them; otherwise arg0, arg1, ….
        return named(parameters: best.namings.count == 1 ? (best.proto ?? proto) : proto, btf: btf)
    }

    private static func parameterTypes(_ proto: UnsafePointer<btf_type>) -> [UInt32] {
        let params = btf_params(proto)
        return (0..<Int(btf_vlen(proto))).compactMap { params?.advanced(by: $0).pointee.type }
    }

    private static func parameterNames(_ proto: UnsafePointer<btf_type>, btf: OpaquePointer) -> [String] {
        let params = btf_params(proto)
        return (0..<Int(btf_vlen(proto))).map { index in
            params.flatMap { btf__name_by_offset(btf, $0.advanced(by: index).pointee.name_off) }.map { String(cString: $0) } ?? ""
        }
    }

    /// A tracepoint prototype's parameters after the first (the tracepoint's data), named
    /// argN where BTF has no name.
    private func named(parameters proto: UnsafePointer<btf_type>, btf: OpaquePointer) -> [TypedParameter] {
        let reader = BTFReader(btf: btf)
        var parameters: [TypedParameter] = []
        let params = btf_params(proto)
        for index in 1..<max(Int(btf_vlen(proto)), 1) {
            guard let param = params?.advanced(by: index).pointee else { continue }
            var name = btf__name_by_offset(btf, param.name_off).map { String(cString: $0) } ?? ""
            if name.isEmpty { name = "arg\(index - 1)" }
            parameters.append(TypedParameter(name: name, declaration: reader.declaration(of: param.type, name: name)))
        }
        return parameters
    }

    /// A kernel function's named parameters and its return value, from BTF (what fentry,
    /// fexit and kprobes can name). nil when BTF does not describe the function.
    public func functionSignature(_ name: String) throws(KernelError) -> (parameters: [TypedParameter], result: TypedParameter?)? {
        let btf = try btf()
        let id = btf__find_by_name_kind(btf, name, BTFKind.function.number)
        guard id > 0, let function = btf__type_by_id(btf, UInt32(id)),
              let proto = btf__type_by_id(btf, function.pointee.type) else { return nil }
        let reader = BTFReader(btf: btf)
        var parameters: [TypedParameter] = []
        let params = btf_params(proto)
        for index in 0..<Int(btf_vlen(proto)) {
            guard let param = params?.advanced(by: index).pointee, param.type != 0 else { continue } // `...`
            var paramName = btf__name_by_offset(btf, param.name_off).map { String(cString: $0) } ?? ""
            if paramName.isEmpty { paramName = "p\(index)" }
            parameters.append(TypedParameter(name: paramName, declaration: reader.declaration(of: param.type, name: paramName)))
        }
        let returnType = proto.pointee.type
        let result = returnType == 0 ? nil
            : TypedParameter(name: "retval", declaration: reader.declaration(of: returnType, name: "retval"))
        return (parameters, result)
    }

    /// Whether the kernel has a tracepoint of that name (raw and BTF-typed attach use it).
    public func hasTracepoint(_ event: String) throws(KernelError) -> Bool {
        btf__find_by_name_kind(try btf(), "btf_trace_\(event)", BTFKind.typedef.number) > 0
    }

    /// Every kernel function BTF describes (what fentry/fexit can attach to).
    public func functionNames() throws(KernelError) -> [String] {
        let btf = try btf()
        var names: [String] = []
        for id in 1..<btf__type_cnt(btf) {
            guard let type = btf__type_by_id(btf, id), BTFKind(of: type) == .function,
                  let cName = btf__name_by_offset(btf, type.pointee.name_off) else { continue }
            names.append(String(cString: cName))
        }
        return names
    }

    /// Every raw tracepoint name, from the `btf_trace_*` typedefs.
    public func tracepointNames() throws(KernelError) -> [String] {
        let btf = try btf()
        var names: [String] = []
        for id in 1..<btf__type_cnt(btf) {
            guard let type = btf__type_by_id(btf, id), BTFKind(of: type) == .typedef,
                  let cName = btf__name_by_offset(btf, type.pointee.name_off) else { continue }
            let name = String(cString: cName)
            if name.hasPrefix("btf_trace_") { names.append(String(name.dropFirst("btf_trace_".count))) }
        }
        return names
    }

    public func close() {
        if let loaded { btf__free(loaded) }
        loaded = nil
    }

    deinit { close() }
}
