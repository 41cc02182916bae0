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
        #expect(completer.complete("probe tracepoint:syscalls:sys_enter_read { cou").candidates.isEmpty,
                "inside C, nothing is offered")
    }

    @Test func filePaths() {
        let completion = completer.complete("load /etc/host")
        #expect(completion.candidates.contains("/etc/hostname"))
    }
}
