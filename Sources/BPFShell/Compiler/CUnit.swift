/// C typed by the user, with the file name `#line` gives it so clang's positions map
/// back. Names depend on the code's role, never on the cell number: the same probe
/// typed again must produce the same unit, or the object cache would never hit.
public struct UserCode: Equatable, Sendable {
    public var fileName: String
    public var block: CodeBlock

    public init(fileName: String, block: CodeBlock) {
        self.fileName = fileName
        self.block = block
    }

    public static let bodyFileName = "bpfsh-body"

    /// The n-th `c { }` block of the session.
    public static func cBlockFileName(_ index: Int) -> String { "bpfsh-c\(index)" }

    public static func cBlockIndex(fromFileName name: String) -> Int? {
        guard name.hasPrefix("bpfsh-c") else { return nil }
        return Int(name.dropFirst("bpfsh-c".count))
    }
}

/// A session map as the C unit declares it, with the number its counters use.
public struct MapDefinition: Equatable, Sendable {
    public var decl: MapDecl
    public var id: Int

    public init(decl: MapDecl, id: Int) {
        self.decl = decl
        self.id = id
    }
}

/// A complete translation unit and the program names the loader should look up.
public struct GeneratedUnit: Equatable, Sendable {
    public var text: String
    /// One per attach point, in order.
    public var programNames: [String]
}

/// Writes C line by line, so `#line` resets can name the generated file's real line.
struct CWriter {
    private(set) var text = ""
    private(set) var line = 1
    static let generatedFileName = "bpfsh-generated.c"

    mutating func emit(_ content: String) {
        text += content
        text += "\n"
        line += content.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// Emits user code so that clang reports it at the line and column it was typed.
    mutating func emitUser(_ code: UserCode) {
        emit("#line \(code.block.start.line) \"\(code.fileName)\"")
        emit(String(repeating: " ", count: max(0, code.block.start.column - 1)) + code.block.text)
        emit("#line \(line + 1) \"\(Self.generatedFileName)\"")
    }
}

/// What a unit declares beyond the prelude, because its code uses it: each costs
/// kernel memory (the ring buffer 8 MiB, the stack map megabytes), so only on use.
public struct UnitNeeds: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let print = UnitNeeds(rawValue: 1)
    public static let stacks = UnitNeeds(rawValue: 2)
    /// join(): a per-CPU buffer the arguments are gathered in.
    public static let join = UnitNeeds(rawValue: 4)

    /// What the given code (a body and the session's c blocks) calls.
    public init(scanning blocks: [CodeBlock]) {
        self = []
        for block in blocks {
            let identifiers = BodyScanner(block).identifiers
            if Builtin.usesStacks(identifiers) { insert(.stacks) }
            if Builtin.usesEvents(identifiers) { insert(.print) }
            if identifiers.contains("join") { insert(.join) }
        }
    }
}

/// Builds translation units from typed pieces: never by string replacement.
public enum CUnitBuilder {
    /// A unit that only declares maps: loading it creates them, with BTF for their types.
    public static func mapUnit(cBlocks: [UserCode], maps: [MapDefinition], stringLength: Int = defaultStringLength) -> GeneratedUnit {
        var writer = header(cBlocks: cBlocks, needs: UnitNeeds(scanning: cBlocks.map(\.block)), stringLength: stringLength)
        for map in maps { emitMap(map, into: &writer) }
        return GeneratedUnit(text: writer.text, programNames: [])
    }

    /// The program name in the kernel; constant so the unit does not depend on the probe's name.
    public static let programName = "bpfsh_probe"

    /// One function per attach point, all with the same body.
    public static func probeUnit(points: [AttachPoint], body: UserCode, cBlocks: [UserCode],
                                 maps: [MapDefinition], stringLength: Int = defaultStringLength) -> GeneratedUnit {
        var writer = header(cBlocks: cBlocks, needs: UnitNeeds(scanning: [body.block] + cBlocks.map(\.block)),
                            stringLength: stringLength)
        for map in maps { emitMap(map, into: &writer) }
        writer.emit("")
        writer.emit("int bpfsh_enabled SEC(\"\(enabledSection)\") = 1;")
        if points.contains(where: { $0.kind == .usdt }) {
            // Only USDT objects carry libbpf's USDT spec maps, so it stays out of the prelude.
            writer.emit("#include <bpf/usdt.bpf.h>")
        }
        // Record structs come first: a struct first named in a parameter list is scoped to it.
        var emittedStructs = Set<String>()
        for point in points {
            if case let .tracepoint(format) = point.context, emittedStructs.insert(format.structName).inserted {
                writer.emit("")
                writer.emit(format.cDeclaration)
            }
        }
        var programNames: [String] = []
        for (index, point) in points.enumerated() {
            let function = points.count == 1 ? programName : "\(programName)_\(index)"
            programNames.append(function)
            writer.emit("")
            writer.emit("/* \(point.description) */")
            writer.emit("SEC(\"\(point.sectionName)\")")
            switch point.context {
            case let .tracepoint(format):
                writer.emit("int \(function)(struct \(format.structName) *args)")
                writer.emit("{")
                emitBody(body, context: "args", point: index, into: &writer)
                writer.emit("}")
            case .rawTracepoint:
                writer.emit("int \(function)(struct bpf_raw_tracepoint_args *ctx)")
                writer.emit("{")
                emitMacros((0..<12).map { ("arg\($0)", "(ctx->args[\($0)])") }, into: &writer) { emitBody(body, point: index, into: &$0) }
                writer.emit("}")
            case let .typed(parameters, result):
                let list = [function] + parameters.map(\.declaration) + (result.map { [$0.declaration] } ?? [])
                writer.emit("int BPF_PROG(\(list.joined(separator: ", ")))")
                writer.emit("{")
                emitBody(body, point: index, into: &writer)
                writer.emit("}")
            case let .registers(isReturn, parameters):
                // BPF_KPROBE names and types up to five parameters; beyond, arg0… still work.
                if !isReturn, point.kind == .kprobe, !parameters.isEmpty, parameters.count <= 5 {
                    writer.emit("int BPF_KPROBE(\(([function] + parameters.map(\.declaration)).joined(separator: ", ")))")
                } else {
                    writer.emit("int \(function)(struct pt_regs *ctx)")
                }
                writer.emit("{")
                emitMacros(registerArguments(isReturn: isReturn), into: &writer) { emitBody(body, point: index, into: &$0) }
                writer.emit("}")
            case .perfEvent:
                writer.emit("int \(function)(struct bpf_perf_event_data *ctx)")
                writer.emit("{")
                emitBody(body, point: index, into: &writer)
                writer.emit("}")
            case .usdt:
                writer.emit("int \(function)(struct pt_regs *ctx)")
                writer.emit("{")
                let arguments = (0..<12).map { ("arg\($0)", "({ long ___v = 0; bpf_usdt_arg(ctx, \($0), &___v); ___v; })") }
                emitMacros(arguments, into: &writer) { emitBody(body, point: index, into: &$0) }
                writer.emit("}")
            }
        }
        return GeneratedUnit(text: writer.text, programNames: programNames)
    }

    /// Names the body can use, defined around it and undefined after (one unit may hold
    /// several functions).
    private static func emitMacros(_ macros: [(String, String)], into writer: inout CWriter, body: (inout CWriter) -> Void) {
        for (name, value) in macros { writer.emit("#define \(name) \(value)") }
        body(&writer)
        for (name, _) in macros { writer.emit("#undef \(name)") }
    }

    /// arg0…arg5 from the calling convention, and retval for returns.
    private static func registerArguments(isReturn: Bool) -> [(String, String)] {
        var macros = (0..<6).map { ("arg\($0)", "((u64)PT_REGS_PARM\($0 + 1)(ctx))") }
        if isReturn { macros.append(("retval", "((long)PT_REGS_RC(ctx))")) }
        return macros
    }

    /// The section holding the probe's number; the loader sets it before load.
    public static let probeIDSection = ".rodata.bpfsh"

    /// str()'s buffer, like bpftrace's default; `set strlen N` changes it for later units.
    public static let defaultStringLength = 64
    public static let maximumStringLength = 256

    private static func header(cBlocks: [UserCode], needs: UnitNeeds, stringLength: Int) -> CWriter {
        var writer = CWriter()
        writer.emit("/* generated by bpfsh: the prelude comes from the precompiled header */")
        writer.emit("const volatile u32 bpfsh_probe_id SEC(\"\(probeIDSection)\") = 0;")
        // Per unit, not in the prelude: its size is a session setting (set strlen).
        writer.emit("typedef struct { char str[\(stringLength)]; } str_t;")
        if !needs.isDisjoint(with: [.print, .stacks]) {
            writer.emit(Prelude.eventsMapDeclaration)
        }
        if needs.contains(.print) {
            writer.emit(Prelude.printSupport)
        }
        if needs.contains(.join) {
            writer.emit(Prelude.joinSupport)
        }
        if needs.contains(.stacks) {
            writer.emit("""
            struct {
                __uint(type, BPF_MAP_TYPE_STACK_TRACE);
                __uint(max_entries, \(Prelude.stackEntries));
                __type(key, u32);
                __uint(value_size, \(Prelude.stackDepth) * sizeof(u64));
            } \(Prelude.stacksMapName) SEC(".maps");
            struct {
                __uint(type, BPF_MAP_TYPE_LRU_HASH);
                __uint(max_entries, 4096);
                __type(key, u32);
                __type(value, u32);  /* the process's count of mappings when last announced */
            } \(Prelude.stackPIDsMapName) SEC(".maps");

            /* A process whose user stack or code address is recorded for the first time,
               or whose mappings changed since (ld.so maps libc after the first samples): the
               shell is told at once and reads its mappings while it still lives (a 20 ms
               process is gone before any periodic look). A header-only record. */
            static __always_inline void bpfsh_announce_process(u32 pid, struct task_struct *task)
            {
                /* A child forked without exec runs in a copy of its parent's address space:
                   if it is gone before the shell looks, the parent's mappings name its frames. */
                struct task_struct *parent = BPF_CORE_READ(task, real_parent);
                u64 parent_tgid = BPF_CORE_READ(parent, tgid);
                u64 same_layout = BPF_CORE_READ(task, mm, mmap_base) == BPF_CORE_READ(parent, mm, mmap_base)
                    && BPF_CORE_READ(task, mm, start_code) == BPF_CORE_READ(parent, mm, start_code);
                struct bpfsh_event *note = bpf_ringbuf_reserve(&\(Prelude.eventsMapName), \(EventStream.headerSize), 0);
                if (!note)
                    return;
                note->probe = \(EventRecord.processAnnouncement);
                note->length = 0;
                note->ts = same_layout << 32 | parent_tgid;
                note->kstack = -1;
                note->ustack = -1;
                note->upid = pid;
                note->unused = 0;
                bpf_ringbuf_submit(note, BPF_RB_FORCE_WAKEUP);
            }
            static __always_inline void bpfsh_note_process(u32 pid)
            {
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                u32 mappings = (u32)BPF_CORE_READ(task, mm, map_count);
                u32 *known = bpf_map_lookup_elem(&\(Prelude.stackPIDsMapName), &pid);
                if (known && *known == mappings)
                    return;
                bpf_map_update_elem(&\(Prelude.stackPIDsMapName), &pid, &mappings, BPF_ANY);
                bpfsh_announce_process(pid, task);
            }
            """)
        }
        for block in cBlocks {
            writer.emitUser(block)
        }
        return writer
    }

    /// The section holding the probe's on/off switch: its own internal map, so the
    /// shell can flip it without touching the user's globals.
    public static let enabledSection = ".data.bpfsh"
    /// The section of print()'s clock switch (in units that print).
    public static let timestampSection = ".data.bpfsh_stamp"

    private static func emitBody(_ body: UserCode, context: String = "ctx", point: Int, into writer: inout CWriter) {
        // probe_name() reads which of the probe's points this function serves.
        writer.emit("#define bpfsh_point_index \(point)")
        defer { writer.emit("#undef bpfsh_point_index") }
        // Checked first: `detach` and `drop` flip it to stop the probe at once, then
        // destroy links off the prompt (that waits for an RCU grace period).
        writer.emit("    if (!*(volatile int *)&bpfsh_enabled)")
        writer.emit("        return 0;")
        writer.emit("    bpfsh_counter_add(\(Prelude.firstProbeSlot - 1) + bpfsh_probe_id, 1);")
        writer.emit("    void *bpfsh_ctx __attribute__((unused)) = (void *)\(context);")
        writer.emit("    {")
        writer.emitUser(body)
        writer.emit("    }")
        writer.emit("    return 0;")
    }

    static func emitMap(_ map: MapDefinition, into writer: inout CWriter) {
        let decl = map.decl
        let name = decl.name
        writer.emit("")
        writer.emit("/* \(decl.declaration) */")
        writer.emit("enum { bpfsh_map_id_\(name) = \(map.id) };")
        let layout = MapLayout(decl)
        if let prologue = layout.prologue { writer.emit(prologue) }
        writer.emit("struct {")
        writer.emit("    __uint(type, \(layout.mapType));")
        writer.emit("    __uint(max_entries, \(decl.maxEntries));")
        writer.emit("    __type(key, \(layout.keyType));")
        writer.emit("    __type(value, \(layout.valueType));")
        writer.emit("} \(name) SEC(\".maps\");")
        // libbpf cannot size an incomplete type; clang can say which one it is.
        writer.emit("_Static_assert(sizeof(\(layout.keyType)) > 0 && sizeof(\(layout.valueType)) > 0, \"map types must be complete\");")
    }

}

/// How a map kind is laid out in the kernel.
public struct MapLayout: Equatable, Sendable {
    public var mapType: String
    public var keyType: String
    public var valueType: String
    public var isPerCPU: Bool
    /// Declarations the map needs before it (a histogram key struct, lhist bounds).
    public var prologue: String?

    public init(_ decl: MapDecl) {
        prologue = nil
        switch decl.kind {
        case let .hash(key, value):
            (mapType, keyType, valueType, isPerCPU) = ("BPF_MAP_TYPE_HASH", key, value, false)
        case let .count(key?):
            (mapType, keyType, valueType, isPerCPU) = ("BPF_MAP_TYPE_PERCPU_HASH", key, "u64", true)
        case .count(nil), .hist(nil), .lhist:
            (mapType, keyType, valueType, isPerCPU) = ("BPF_MAP_TYPE_PERCPU_ARRAY", "u32", "u64", true)
        case let .hist(key?):
            let keyStruct = "struct bpfsh_hist_key_\(decl.name)"
            (mapType, keyType, valueType, isPerCPU) = ("BPF_MAP_TYPE_PERCPU_HASH", keyStruct, "u64", true)
            prologue = "\(keyStruct) { \(key) key; u32 slot; };"
        case let .array(value):
            (mapType, keyType, valueType, isPerCPU) = ("BPF_MAP_TYPE_ARRAY", "u32", value, false)
        case let .stats(key, _):
            (mapType, keyType, valueType, isPerCPU) = ("BPF_MAP_TYPE_PERCPU_HASH", key, "struct bpfsh_stats", true)
        }
        if case let .lhist(min, max, step) = decl.kind {
            let name = decl.name
            prologue = """
            #define bpfsh_lhist_min_\(name) (\(min)LL)
            #define bpfsh_lhist_max_\(name) (\(max)LL)
            #define bpfsh_lhist_step_\(name) (\(step)ULL)
            #define bpfsh_lhist_last_\(name) (\(decl.maxEntries - 1))
            """
        }
    }
}
