import Testing
@testable import BPFShell

@Suite struct CompleterTests {
    struct FakeSource: CompletionSource {
        var commandNames = ["probe", "probes", "print", "map", "maps", "load", "set"]
        var mapNames = ["opens", "lat"]
        var probeNames = ["p1", "reads"]
        var snippetNames = ["exec-trace"]
        func tracepointCategories() -> [String] { ["sched", "syscalls"] }
        func tracepointEvents(in category: String) -> [String] {
            category == "syscalls" ? ["sys_enter_openat", "sys_enter_read"] : ["sched_switch"]
        }
        func btfTracepoints() -> [String] { ["sched_switch", "sys_enter"] }
        func tracepointFields(category: String, event: String) -> [String] {
            event == "sys_enter_openat" ? ["dfd", "filename", "flags", "mode"] : []
        }
        var helperNames: [String] { ["bpf_get_current_task", "bpf_get_current_pid_tgid", "bpf_probe_read_user"] }
        func kernelFunctions() -> [String] { ["vfs_read", "vfs_write", "do_sys_openat2"] }
        func functionSymbols(inBinary path: String) -> [String] { path == "/bin/bash" ? ["readline", "main"] : [] }
        func usdtProbes(inBinary path: String) -> [String] { ["python:function__entry"] }
    }

    let completer = Completer(source: FakeSource())

    @Test func commandsFirst() {
        let completion = completer.complete("pro")
        #expect(completion.candidates == ["probe ", "probes "])
        #expect(completion.commonPrefix == "probe")
        #expect(completion.replacing == 3)
    }

    @Test func probeSpecsStepByStep() {
        #expect(completer.complete("probe tr").candidates == ["tracepoint:"])
        #expect(completer.complete("probe tracepoint:sy").candidates == ["tracepoint:syscalls:"])
        #expect(completer.complete("probe tracepoint:syscalls:sys_enter_o").candidates == ["tracepoint:syscalls:sys_enter_openat "])
        #expect(completer.complete("probe myname tp_btf:sched").candidates == ["tp_btf:sched_switch "])
        #expect(completer.complete("probe kprobe:vfs_").candidates == ["kprobe:vfs_read ", "kprobe:vfs_write "])
        #expect(completer.complete("probe uprobe:/bin/bash:read").candidates == ["uprobe:/bin/bash:readline "])
        #expect(completer.complete("info usdt:/usr/bin/python3:py").candidates == ["usdt:/usr/bin/python3:python:function__entry "])
    }

    @Test func namesByContext() {
        #expect(completer.complete("print o").candidates == ["opens "])
        #expect(completer.complete("drop r").candidates == ["reads"])
        #expect(completer.complete("set output j").candidates == ["json"])
        #expect(completer.complete("load exec").candidates == ["exec-trace"])
    }

    /// Inside a body: the built-ins (from their one table) and, after a map operation's
    /// '(', the session's maps.
    @Test func builtinsAndMapsInsideABody() {
        #expect(completer.complete("probe tracepoint:syscalls:sys_enter_read { cou").candidates == ["count("])
        #expect(completer.complete("probe tracepoint:syscalls:sys_enter_read { hist").candidates == ["hist(", "hist_by("])
        #expect(completer.complete("probe tracepoint:syscalls:sys_enter_read { count(").candidates == ["lat", "opens"])
        #expect(completer.complete("probe tracepoint:syscalls:sys_enter_read { count(op").candidates == ["opens"])
        #expect(completer.complete("probe tracepoint:syscalls:sys_enter_read { u32 x = 1").candidates.isEmpty)
    }

    /// In a one-line probe, args-> offers the tracepoint's fields and bpf_ the helpers;
    /// never shell commands.
    @Test func fieldsAndHelpersInsideABody() {
        let fields = completer.complete("probe tracepoint:syscalls:sys_enter_openat { count(opens, str(args->fi")
        #expect(fields.candidates == ["filename"])
        #expect(completer.complete("probe tp:syscalls:sys_enter_openat { u32 f = args->").candidates == ["dfd", "filename", "flags", "mode"])
        #expect(completer.complete("probe tracepoint:syscalls:sys_enter_openat { bpf_get_cur").candidates
                == ["bpf_get_current_pid_tgid(", "bpf_get_current_task("])
        #expect(!completer.complete("probe tracepoint:syscalls:sys_enter_openat { pri").candidates.contains("probes "))
    }

    @Test func builtinTableFeedsThePrelude() {
        for builtin in Builtin.all where builtin.macro != nil {
            #expect(Prelude.text.contains("#define \(builtin.name)("), "\(builtin.name) is not defined in the prelude")
        }
        #expect(Builtin.mapOperationNames == ["count", "sum", "set", "get", "del", "hist", "hist_by", "lhist", "stats", "min", "max"])
        #expect(MapOperation.count.problem(with: .hist(key: nil)) == "count() works on count<K> and hash<K, u64> maps")
        #expect(MapOperation.get.problem(with: .lhist(min: 0, max: 10, step: 1)) == "get() works on hash, array and count<K> maps")
        #expect(MapOperation.hist.problem(with: .hist(key: "u32")) == "it has a key: use hist_by(map, key, value)")
        #expect(MapOperation.set.problem(with: .array(value: "u64")) == nil)
    }

    @Test func filePaths() {
        let completion = completer.complete("load /etc/host")
        #expect(completion.candidates.contains("/etc/hostname"))
    }
}
