/// The built-ins a probe body can call, in one table: the prelude's macros, the body
/// scanner's list of map operations, completion, `help` and the hints after a clang
/// error are all generated from it. Adding a built-in means adding a row here.
public struct Builtin: Sendable {
    public enum Role: Sendable, Equatable {
        /// Facts about the current task or CPU.
        case context
        /// A stack id, usable as a map key and printed as symbolized frames.
        case stack
        /// Takes a session map as its first argument.
        case mapOperation(MapOperation)
        /// Reads or compares strings.
        case string
        /// Sends text to the shell.
        case output
    }

    public var name: String
    /// How it is called, as `help` shows it.
    public var signature: String
    /// The C type of its value ("" for none).
    public var returns: String
    public var summary: String
    public var example: String
    public var role: Role
    /// Its definition in the prelude, after `#define ` (nil: defined with the session's maps).
    var macro: String?
    /// Macros its definition uses, each a whole `#define` line.
    var helpers: [String] = []

    /// Every built-in, in the order `help` lists them.
    public static let all: [Builtin] = [
        // Function-like macros only expand before '(' so `u32 pid = pid();` and `.pid` keep working.
        Builtin(name: "pid", signature: "pid()", returns: "u32", summary: "the process id (tgid) of the current task",
                example: "if (pid() == 42) count(calls, 1);", role: .context,
                macro: "pid() ((u32)(bpf_get_current_pid_tgid() >> 32))"),
        Builtin(name: "tid", signature: "tid()", returns: "u32", summary: "the thread id of the current task",
                example: "set(start, tid(), nsecs());", role: .context, macro: "tid() ((u32)bpf_get_current_pid_tgid())"),
        Builtin(name: "uid", signature: "uid()", returns: "u32", summary: "the user id of the current task",
                example: "count(by_user, uid());", role: .context, macro: "uid() ((u32)bpf_get_current_uid_gid())"),
        Builtin(name: "gid", signature: "gid()", returns: "u32", summary: "the group id of the current task",
                example: "count(by_group, gid());", role: .context, macro: "gid() ((u32)(bpf_get_current_uid_gid() >> 32))"),
        Builtin(name: "cpu", signature: "cpu()", returns: "u32", summary: "the CPU the probe runs on",
                example: "count(per_cpu, cpu());", role: .context, macro: "cpu() ((u32)bpf_get_smp_processor_id())"),
        Builtin(name: "nsecs", signature: "nsecs()", returns: "u64", summary: "monotonic time in nanoseconds",
                example: "set(start, tid(), nsecs());", role: .context, macro: "nsecs() bpf_ktime_get_ns()"),
        Builtin(name: "comm", signature: "comm()", returns: "comm_t", summary: "the task's name (a struct usable as a key)",
                example: "count(calls, comm());", role: .context,
                macro: "comm() ({ comm_t ___c; bpf_get_current_comm(___c.str, sizeof(___c.str)); ___c; })"),
        // The probe's number comes from .rodata at load; the point's index is defined
        // around each generated function.
        Builtin(name: "probe_name", signature: "probe_name()", returns: "probe_t",
                summary: "the point the event came from (a key printed as its name, e.g. tracepoint:syscalls:sys_enter_openat)",
                example: "count(calls, probe_name());", role: .context,
                macro: "probe_name() ((probe_t){ .id = (bpfsh_probe_id << 16) | bpfsh_point_index })"),
        // bpfsh_ctx is the program's context, set by each generated function. The stack maps
        // are declared only in units that use them (each map costs megabytes). The pid is
        // recorded so the shell can read /proc/PID/maps while the process lives.
        Builtin(name: "kstack", signature: "kstack()", returns: "kstack_t", summary: "the kernel stack, as a key printed as frames",
                example: "count(stacks, kstack());", role: .stack,
                macro: "kstack() ({ kstack_t ___s = { .kstack_id = (s32)bpf_get_stackid(bpfsh_ctx, &bpfsh_stacks, 0) }; ___s; })"),
        Builtin(name: "ustack", signature: "ustack()", returns: "ustack_t",
                summary: "the user stack and pid, as a key printed as frames (after the process exits too)",
                example: "count(stacks, ustack());", role: .stack,
                macro: """
                ustack() ({ ustack_t ___s = { .ustack_id = (s32)bpf_get_stackid(bpfsh_ctx, &bpfsh_stacks, BPF_F_USER_STACK), \\
                                                   .pid = pid() }; \\
                    bpfsh_note_process(___s.pid); ___s; })
                """),
        // A keyless counter (`map total count`) takes no key: the macro picks by arity.
        Builtin(name: "ksym", signature: "ksym(address)", returns: "ksym_t",
                summary: "a kernel code address as a key printed as function+offset",
                example: "count(callers, ksym(PT_REGS_IP(ctx)));", role: .stack,
                macro: "ksym(a) ((ksym_t){ .kaddr = (u64)(a) })"),
        // The pid goes to the map the shell reads mappings from, as ustack() does.
        Builtin(name: "usym", signature: "usym(address)", returns: "usym_t",
                summary: "a user code address of this process as a key printed as function+offset (library), after it exits too",
                example: "count(calls, usym(PT_REGS_IP(ctx)));", role: .stack,
                macro: """
                usym(a) ({ usym_t ___u = { .uaddr = (u64)(a), .pid = pid() }; bpfsh_note_process(___u.pid); ___u; })
                """),
        Builtin(name: "count", signature: "count(map[, key])", returns: "",
                summary: "add 1 to the counter under key (a keyless `map NAME count` takes none)",
                example: "count(opens, comm());", role: .mapOperation(.count),
                macro: "count(...) bpfsh_by_arity2(__VA_ARGS__, bpfsh_count_keyed, bpfsh_count_keyless)(__VA_ARGS__)",
                helpers: ["#define bpfsh_count_keyed(m, k) ({ bpfsh_key_t(m) ___k = (k); bpfsh_add(&(m), &___k, 1, bpfsh_map_id_##m); })",
                          "#define bpfsh_count_keyless(m) ({ u32 ___k = 0; bpfsh_add(&(m), &___k, 1, bpfsh_map_id_##m); })"]),
        Builtin(name: "sum", signature: "sum(map, [key,] value)", returns: "",
                summary: "add value to the counter under key (a keyless `map NAME count` takes none)",
                example: "sum(bytes, comm(), args->count);", role: .mapOperation(.sum),
                macro: "sum(...) bpfsh_by_arity3(__VA_ARGS__, bpfsh_sum_keyed, bpfsh_sum_keyless)(__VA_ARGS__)",
                helpers: ["#define bpfsh_sum_keyed(m, k, v) ({ bpfsh_key_t(m) ___k = (k); bpfsh_add(&(m), &___k, (u64)(v), bpfsh_map_id_##m); })",
                          "#define bpfsh_sum_keyless(m, v) ({ u32 ___k = 0; bpfsh_add(&(m), &___k, (u64)(v), bpfsh_map_id_##m); })"]),
        Builtin(name: "set", signature: "set(map, key, value)", returns: "", summary: "store value under key",
                example: "set(start, tid(), nsecs());", role: .mapOperation(.set),
                macro: """
                set(m, k, v) ({ bpfsh_key_t(m) ___k = (k); bpfsh_value_t(m) ___v = (v); \\
                    if (bpf_map_update_elem(&(m), &___k, &___v, BPF_ANY)) \\
                        bpfsh_counter_add(\(Prelude.firstMapErrorSlot) + bpfsh_map_id_##m, 1); })
                """),
        Builtin(name: "get", signature: "get(map, key)", returns: "V *", summary: "a pointer to the value under key, or NULL",
                example: "u64 *t = get(start, tid()); if (t) hist(lat, nsecs() - *t);", role: .mapOperation(.get),
                macro: "get(m, k) ({ bpfsh_key_t(m) ___k = (k); (bpfsh_value_t(m) *)bpf_map_lookup_elem(&(m), &___k); })"),
        Builtin(name: "del", signature: "del(map, key)", returns: "", summary: "remove key",
                example: "del(start, tid());", role: .mapOperation(.del),
                macro: "del(m, k) ({ bpfsh_key_t(m) ___k = (k); (void)bpf_map_delete_elem(&(m), &___k); })"),
        Builtin(name: "hist", signature: "hist(map, value)", returns: "", summary: "count value in its log2 bucket",
                example: "hist(lat, nsecs() - *t);", role: .mapOperation(.hist),
                macro: "hist(m, v) bpfsh_slot_add(&(m), bpfsh_log2((u64)(v)))"),
        Builtin(name: "hist_by", signature: "hist_by(map, key, value)", returns: "", summary: "count value in key's log2 histogram",
                example: "hist_by(lat_by, pid(), nsecs() - *t);", role: .mapOperation(.histBy),
                macro: """
                hist_by(m, k, v) ({ bpfsh_key_t(m) ___k; __builtin_memset(&___k, 0, sizeof(___k)); \\
                    ___k.key = (k); ___k.slot = bpfsh_log2((u64)(v)); bpfsh_add(&(m), &___k, 1, bpfsh_map_id_##m); })
                """),
        Builtin(name: "lhist", signature: "lhist(map, value)", returns: "", summary: "count value in its linear bucket",
                example: "lhist(sizes, args->count);", role: .mapOperation(.lhist),
                macro: """
                lhist(m, v) bpfsh_slot_add(&(m), bpfsh_linear_slot((s64)(v), bpfsh_lhist_min_##m, \\
                    bpfsh_lhist_max_##m, bpfsh_lhist_step_##m, bpfsh_lhist_last_##m))
                """),
        // str_t is declared by each unit with the session's `set strlen` (64 by default).
        Builtin(name: "str", signature: "str(pointer[, length])", returns: "str_t",
                summary: "a NUL-terminated string read safely from a user or kernel pointer, or a tracepoint's __data_loc field",
                example: "count(files, str(args->filename));", role: .string,
                macro: "str(...) bpfsh_by_arity2(__VA_ARGS__, bpfsh_str_n, bpfsh_str_1)(__VA_ARGS__)",
                helpers: ["#define bpfsh_str_1(x) bpfsh_str_n(x, sizeof(str_t))",
                          """
                          #define bpfsh_str_n(x, n) ({ str_t ___s; __builtin_memset(&___s, 0, sizeof(___s)); \
                              __auto_type ___x = (x); u32 ___n = (n) < sizeof(___s.str) ? (n) : sizeof(___s.str); \
                              _Static_assert(__builtin_types_compatible_p(typeof(___x), bpfsh_data_loc_t) || sizeof(___x) == 8, \
                                             "str() takes a pointer (or a u64 holding one) or a __data_loc field"); \
                              if (__builtin_types_compatible_p(typeof(___x), bpfsh_data_loc_t)) \
                                  bpf_probe_read_kernel_str(___s.str, ___n, \
                                      (const char *)bpfsh_ctx + (*(const u32 *)(void *)&___x & 0xffff)); \
                              else \
                                  bpfsh_read_any_str(___s.str, ___n, (const void *)*(const unsigned long *)(void *)&___x); \
                              ___s; })
                          """]),
        // Defined with the buffer it needs, only in units that use it (Prelude.joinSupport).
        Builtin(name: "join", signature: "join(argv)", returns: "const char *",
                summary: "a user-space argument vector (char **) joined by spaces, up to 16 arguments, for print's %s",
                example: "print(\"%s\\n\", join(args->argv));", role: .string, macro: nil),
        Builtin(name: "streq", signature: "streq(text, \"literal\")", returns: "int",
                summary: "whether a str_t or comm_t equals a string literal (bounded, verifier-safe)",
                example: "if (streq(comm(), \"bash\")) count(calls);", role: .string,
                macro: "streq(a, literal) ({ __auto_type ___t = (a); bpfsh_text_starts(___t.str, sizeof(___t.str), literal, sizeof(literal)); })"),
        Builtin(name: "strprefix", signature: "strprefix(text, \"literal\")", returns: "int",
                summary: "whether a str_t or comm_t starts with a string literal",
                example: "if (strprefix(str(args->filename), \"/etc/\")) count(etc);", role: .string,
                macro: "strprefix(a, literal) ({ __auto_type ___t = (a); bpfsh_text_starts(___t.str, sizeof(___t.str), literal, sizeof(literal) - 1); })"),
        Builtin(name: "stats", signature: "stats(map, key, value)", returns: "",
                summary: "count, sum, minimum, maximum and average of value under key (a stats<K> map)",
                example: "stats(sizes, comm(), args->count);", role: .mapOperation(.stats),
                macro: "stats(m, k, v) ({ bpfsh_key_t(m) ___k = (k); bpfsh_stats_add(&(m), &___k, (s64)(v), bpfsh_map_id_##m); })"),
        // With two arguments min and max are the usual C helpers, so user code keeps them.
        Builtin(name: "min", signature: "min(map, key, value) | min(a, b)", returns: "",
                summary: "keep the smallest value under key (a min<K> map); with two values, the smaller one",
                example: "min(fastest, comm(), nsecs() - *t);", role: .mapOperation(.min),
                macro: "min(...) bpfsh_by_arity3(__VA_ARGS__, bpfsh_stats_update, bpfsh_min2)(__VA_ARGS__)",
                helpers: ["#define bpfsh_min2(a, b) ({ __auto_type ___x = (a); __auto_type ___y = (b); ___x < ___y ? ___x : ___y; })",
                          "#define bpfsh_stats_update(m, k, v) ({ bpfsh_key_t(m) ___k = (k); bpfsh_stats_add(&(m), &___k, (s64)(v), bpfsh_map_id_##m); })"]),
        Builtin(name: "max", signature: "max(map, key, value) | max(a, b)", returns: "",
                summary: "keep the largest value under key (a max<K> map); with two values, the larger one",
                example: "max(slowest, comm(), nsecs() - *t);", role: .mapOperation(.max),
                macro: "max(...) bpfsh_by_arity3(__VA_ARGS__, bpfsh_stats_update, bpfsh_max2)(__VA_ARGS__)",
                helpers: ["#define bpfsh_max2(a, b) ({ __auto_type ___x = (a); __auto_type ___y = (b); ___x > ___y ? ___x : ___y; })"]),
        Builtin(name: "print", signature: "print(fmt, ...)", returns: "",
                summary: "format in the kernel (bpf_snprintf) and stream to the shell; up to 12 values; str_t and comm_t print with %s",
                example: "print(\"%s opens %s\\n\", comm(), str(args->filename));", role: .output, macro: nil),
    ]

    public static let names: [String] = all.map(\.name)

    public static func named(_ name: String) -> Builtin? {
        all.first { $0.name == name }
    }

    /// The names of the map operations (what the body scanner looks for).
    public static let mapOperationNames: Set<String> = Set(all.compactMap { builtin in
        if case .mapOperation = builtin.role { return builtin.name }
        return nil
    })

    /// Whether a body that names `identifiers` needs the session's stack maps.
    public static func usesStacks(_ identifiers: Set<String>) -> Bool {
        all.contains { $0.role == .stack && identifiers.contains($0.name) }
    }

    /// The type a call of a built-in gives, read from its text ("comm()" → comm_t,
    /// "str(args->filename)" → str_t); nil for anything else.
    public static func resultType(of expression: String) -> String? {
        let text = expression.trimmingCharacters(in: .whitespaces)
        guard text.hasSuffix(")"), let open = text.firstIndex(of: "("), let builtin = named(String(text[..<open])),
              !builtin.returns.isEmpty, !builtin.returns.hasSuffix("*") else { return nil }
        return builtin.returns
    }

    /// Whether code that names `identifiers` writes to the ring buffer (print()).
    public static func usesEvents(_ identifiers: Set<String>) -> Bool {
        all.contains { $0.role == .output && identifiers.contains($0.name) }
    }

    /// One line listing every call, for `help` and hints.
    public static var synopsis: String {
        all.map(\.signature).joined(separator: " ")
    }

    /// The prelude's definitions, generated from the table.
    static var preludeDefinitions: String {
        let dispatch = [
            "/* The third (fourth) argument names the macro for two (three) arguments or for one fewer. */",
            "#define bpfsh_by_arity2(_1, _2, name, ...) name",
            "#define bpfsh_by_arity3(_1, _2, _3, name, ...) name",
            "#define bpfsh_by_arity13(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, name, ...) name",
        ]
        return (dispatch + all.flatMap { builtin in builtin.helpers + (builtin.macro.map { ["#define " + $0] } ?? []) })
            .joined(separator: "\n")
    }
}

/// What a map operation does to a map, and which map kinds it applies to: data, not
/// string switches, so the check, its message and its hint agree.
public enum MapOperation: String, Sendable {
    case count, sum, set, get, del, hist
    case histBy = "hist_by"
    case lhist, stats, min, max

    /// min(a, b) and max(a, b) of two values are C, not map operations.
    public func isMapUse(arguments: Int) -> Bool {
        (self != .min && self != .max) || arguments == 3
    }

    /// The map families the operation works on.
    public var families: [MapKind.Family] {
        switch self {
        case .count, .sum: return [.count, .hash]
        case .set: return [.hash, .array]
        case .get: return [.hash, .array, .count]
        case .del: return [.hash, .count]
        case .hist: return [.hist]
        case .histBy: return [.keyedHist]
        case .lhist: return [.lhist]
        case .stats: return [.stats]
        case .min: return [.minimum]
        case .max: return [.maximum]
        }
    }

    /// Why `kind` does not fit, with what to write instead; nil when it fits.
    public func problem(with kind: MapKind) -> String? {
        if families.contains(kind.family) { return nil }
        switch (self, kind.family) {
        case (.hist, .keyedHist): return "it has a key: use hist_by(map, key, value)"
        case (.histBy, .hist): return "it has no key: use hist(map, value)"
        default: return "\(rawValue)() works on \(fittingKinds) maps"
        }
    }

    /// "count<K> and hash<K, u64>", "hash, array and count": the kinds it fits, for messages.
    var fittingKinds: String {
        // Counting needs a u64 value; the other operations take any hash.
        let names = families.map { $0 == .hash && (self == .count || self == .sum) ? "hash<K, u64>" : $0.plural }
        return names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + (names.last ?? "")
    }

    /// Whether the call has the arguments the map needs: a keyless counter takes no key.
    public func arityProblem(mapName: String, kind: MapKind, arguments: Int) -> String? {
        guard self == .count || self == .sum else { return nil }
        let isKeyless = kind == .count(key: nil)
        let expected = (self == .count ? 1 : 2) + (isKeyless ? 0 : 1)
        guard arguments != expected else { return nil }
        if isKeyless {
            return "'\(mapName)' is a keyless counter: write " + (self == .count ? "count(\(mapName))" : "sum(\(mapName), value)")
        }
        return "'\(mapName)' is keyed by \(kind.keyTypeName ?? "a key"): write "
            + (self == .count ? "count(\(mapName), key)" : "sum(\(mapName), key, value)")
    }

    /// A declaration the operation works with, for "declare it first" hints.
    /// `key` is the key's type where the call shows it (`count(m, comm())` → comm_t).
    public func exampleDeclaration(arguments: Int, key: String? = nil) -> String {
        switch self {
        case .count where arguments == 1, .sum where arguments == 2: return "count"
        case .count: return "count<\(key ?? "comm_t")>"
        case .sum: return "count<\(key ?? "u32")>"
        case .hist: return "hist"
        case .histBy: return "hist<\(key ?? "u32")>"
        case .lhist: return "lhist(0, 1000, 100)"
        case .set, .get, .del: return "hash<\(key ?? "u32"), u64>"
        case .stats: return "stats<\(key ?? "u32")>"
        case .min: return "min<\(key ?? "u32")>"
        case .max: return "max<\(key ?? "u32")>"
        }
    }
}

extension MapKind {
    /// Map kinds as the built-ins see them: a histogram with a key is another family.
    public enum Family: Sendable {
        case hash, count, hist, keyedHist, lhist, array, stats, minimum, maximum

        /// stats<K>, min<K> and max<K> keep one record per key and CPU.
        var isStats: Bool { self == .stats || self == .minimum || self == .maximum }

        var plural: String {
            switch self {
            case .hash: return "hash"
            case .count: return "count<K>"
            case .hist: return "hist"
            case .keyedHist: return "hist<K>"
            case .lhist: return "lhist"
            case .array: return "array"
            case .stats: return "stats<K>"
            case .minimum: return "min<K>"
            case .maximum: return "max<K>"
            }
        }
    }

    /// The declared key type, for messages ("comm_t").
    public var keyTypeName: String? {
        switch self {
        case let .hash(key, _): return key
        case let .count(key), let .hist(key): return key
        case let .stats(key, _): return key
        case .lhist, .array: return nil
        }
    }

    public var family: Family {
        switch self {
        case .hash: return .hash
        case .count: return .count
        case .hist(nil): return .hist
        case .hist: return .keyedHist
        case .lhist: return .lhist
        case .array: return .array
        case .stats(_, .all): return .stats
        case .stats(_, .minimum): return .minimum
        case .stats(_, .maximum): return .maximum
        }
    }
}
