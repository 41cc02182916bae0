/// What `help KIND` says about a probe kind: how to write the spec, what the body sees,
/// and an example that runs (the help tests replay every example on this kernel, or
/// check its error names the missing feature).
struct ProbeKindGuide {
    var kind: ProbeKind
    var body: String
    /// The map the example fills, declared first when the example is replayed.
    var exampleMap: String
    var example: String
    /// Needs something this machine may lack (kprobes, trampolines, a PMU).
    var mayBeMissing: Bool = false

    static let all: [ProbeKindGuide] = [
        ProbeKindGuide(kind: .tracepoint, body: "args->FIELD: the event's fields from its tracefs format ('info tracepoint:CAT:EVENT' lists them); __data_loc strings with str(args->FIELD)",
                       exampleMap: "map opens count<str_t>",
                       example: "probe tracepoint:syscalls:sys_enter_openat { count(opens, str(args->filename)); }"),
        ProbeKindGuide(kind: .rawTracepoint, body: "arg0 … arg11: the tracepoint's raw arguments (ctx->args[i]), untyped",
                       exampleMap: "map switches count<u32>",
                       example: "probe rawtracepoint:sched_switch { count(switches, cpu()); }"),
        ProbeKindGuide(kind: .tpBTF, body: "the tracepoint's parameters by name and type, from BTF ('info tp_btf:EVENT' lists them); struct fields read directly",
                       exampleMap: "map switches count<u32>",
                       example: "probe tp_btf:sched_switch { count(switches, cpu()); }"),
        ProbeKindGuide(kind: .kprobe, body: "arg0 … arg5, or the function's parameters by name and type where BTF knows it",
                       exampleMap: "map reads count<comm_t>",
                       example: "probe kprobe:vfs_read { count(reads, comm()); }", mayBeMissing: true),
        ProbeKindGuide(kind: .kretprobe, body: "retval: the function's return value",
                       exampleMap: "map sizes hist",
                       example: "probe kretprobe:vfs_read { hist(sizes, retval); }", mayBeMissing: true),
        ProbeKindGuide(kind: .fentry, body: "the function's parameters by name and type (BTF), read directly",
                       exampleMap: "map reads count<comm_t>",
                       example: "probe fentry:vfs_read { count(reads, comm()); }", mayBeMissing: true),
        ProbeKindGuide(kind: .fexit, body: "the function's parameters and retval",
                       exampleMap: "map sizes hist",
                       example: "probe fexit:vfs_read { hist(sizes, retval); }", mayBeMissing: true),
        ProbeKindGuide(kind: .uprobe, body: "arg0 … arg5 (user-space values: read pointers with str() or bpf_probe_read_user); BINARY is a path, a command on PATH or a library name (libc)",
                       exampleMap: "map calls count<comm_t>",
                       example: "probe uprobe:libc:getppid { count(calls, comm()); }"),
        ProbeKindGuide(kind: .uretprobe, body: "retval: the function's return value",
                       exampleMap: "map results count<s64>",
                       example: "probe uretprobe:libc:getpid { count(results, retval); }"),
        ProbeKindGuide(kind: .usdt, body: "arg0 … arg11 from the USDT note ('list usdt:BINARY' lists a binary's probes)",
                       exampleMap: "map calls count<comm_t>",
                       example: "probe usdt:/usr/bin/python3:python:function__entry { count(calls, comm()); }"),
        ProbeKindGuide(kind: .profile, body: "ctx (struct bpf_perf_event_data *): the sampled registers; kstack()/ustack() are where each CPU was",
                       exampleMap: "map oncpu count<comm_t>",
                       example: "probe profile:hz:99 { count(oncpu, comm()); }"),
        ProbeKindGuide(kind: .software, body: "ctx (struct bpf_perf_event_data *); events: cpu-clock, task-clock, page-faults, context-switches, cpu-migrations, … ('list software:*')",
                       exampleMap: "map faults count<comm_t>",
                       example: "probe software:page-faults:100 { count(faults, comm()); }"),
        ProbeKindGuide(kind: .hardware, body: "ctx (struct bpf_perf_event_data *); events: cycles, instructions, cache-misses, … ('list hardware:*'); needs a PMU",
                       exampleMap: "map busy count<comm_t>",
                       example: "probe hardware:instructions:1000000 { count(busy, comm()); }", mayBeMissing: true),
        ProbeKindGuide(kind: .interval, body: "nothing but the time: a timer on one CPU, for periodic work in the kernel",
                       exampleMap: "map ticks count",
                       example: "probe interval:1s { count(ticks); }"),
    ]

    static func named(_ text: String) -> ProbeKindGuide? {
        guard let kind = ProbeKind.named(text.hasSuffix(":") ? String(text.dropLast()) : text) else { return nil }
        return all.first { $0.kind == kind }
    }

    var text: String {
        var lines = ["\(kind.syntax)", "  the body sees: \(body)", "  example: \(exampleMap)", "           \(example)"]
        if kind.aliases.count > 1 { lines.append("  also written: " + kind.aliases.dropFirst().map { "\($0):" }.joined(separator: ", ")) }
        if mayBeMissing { lines.append("  not every kernel has it: 'features' says whether this one does") }
        return lines.joined(separator: "\n")
    }
}
