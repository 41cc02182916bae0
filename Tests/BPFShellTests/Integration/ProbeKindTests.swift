import Foundation
import Testing

/// rawtracepoint, tp_btf and wildcard tracepoints against the running kernel; struct
/// keys from a c block, arrays and the other map operations.
@Suite(.serialized, .needsBPF)
struct ProbeKindTests {
    let pid = getpid()
    /// getppid's syscall number on this architecture.
    static let getppidNumber: Int = {
        #if arch(x86_64)
        return 110
        #elseif arch(arm64)
        return 173
        #else
        return -1
        #endif
    }()

    @Test func rawTracepointSeesRawArguments() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map calls count<u64>")
        // sys_enter's raw arguments: arg0 is struct pt_regs *, arg1 the syscall number.
        shell.send("probe rawtracepoint:sys_enter { if (pid() == \(pid) && arg1 == \(Self.getppidNumber)) count(calls, arg1); }")
        #expect(shell.waitForOutput("p1 attached: rawtracepoint:sys_enter (1 program)"))
        for _ in 0..<50 { _ = getppid() }
        shell.send("print calls")
        #expect(shell.finish() == 0, "stderr: \(shell.errors)")
        #expect(shell.output.contains("\n\(Self.getppidNumber)     50\n") || shell.output.split(separator: "\n")
            .contains { $0.split(separator: " ").map(String.init) == ["\(Self.getppidNumber)", "50"] }, "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    @Test func tpBTFSeesTypedNamedArguments() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("info tp_btf:sys_enter")
        shell.send("map calls count<long>")
        shell.send("probe tp_btf:sys_enter { if (pid() == \(pid) && id == \(Self.getppidNumber)) count(calls, id); }")
        #expect(shell.waitForOutput("p1 attached: tp_btf:sys_enter (1 program)"))
        for _ in 0..<40 { _ = getppid() }
        shell.send("print calls")
        #expect(shell.finish() == 0, "stderr: \(shell.errors)")
        #expect(shell.output.contains("struct pt_regs *regs;"), "info lists the typed parameters:\n\(shell.output)")
        #expect(shell.output.split(separator: "\n").contains { $0.split(separator: " ").map(String.init) == ["\(Self.getppidNumber)", "40"] },
                "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// An event defined from a template (sched_wakeup from sched_wakeup_template) has no
    /// function of its own: its parameters come typed from its typedef and named from
    /// the template, so the body can read `p->pid`.
    @Test func tpBTFEventsOfATemplateAreNamed() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("info tp_btf:sched_wakeup")
        shell.send("map woken count")
        shell.send("probe tp_btf:sched_wakeup { if (p->pid > 0) count(woken); }")
        #expect(shell.waitForOutput("p1 attached: tp_btf:sched_wakeup (1 program)"), "\(shell.errors)")
        usleep(300_000)
        shell.send("print woken")
        #expect(shell.finish() == 0, "stderr: \(shell.errors)")
        #expect(shell.output.contains("struct task_struct *p;"), "info names the template's parameter:\n\(shell.output)")
        #expect(shell.output.contains("woken: ") && !shell.output.contains("woken: 0"), "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    @Test func wildcardAttachesOneProgramPerMatch() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map calls count<u32>")
        shell.send("probe tracepoint:syscalls:sys_enter_getp*id { if (pid() == \(pid)) count(calls, args->__syscall_nr); }")
        #expect(shell.waitForOutput("attached"))
        for _ in 0..<6 { _ = getppid() }
        for _ in 0..<3 { _ = getpid() }
        shell.send("print calls sort key")
        shell.send("probes")
        #expect(shell.finish() == 0, "stderr: \(shell.errors)")
        // getpgid, getpid, getppid: three programs.
        #expect(shell.output.contains("(3 programs)"), "\(shell.output)")
        let rows = shell.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains(["\(Self.getppidNumber)", "6"]), "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// DESIGN.md's example: a struct key from a c block prints one column per field,
    /// and hash, array, sum, set, get and del all work from a body.
    @Test func structKeysAndMapOperations() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("c { struct key { u32 pid; char comm[16]; }; }")
        shell.send("map by_key hash<struct key, u64>")
        shell.send("map totals count<u32>")
        shell.send("map slots array<u64> size 4")
        shell.send("map seen hash<u32, u64>")
        shell.send("""
        probe tracepoint:syscalls:sys_enter_getppid {
            if (pid() != \(pid)) return 0;
            struct key k = { .pid = pid() };
            bpf_get_current_comm(k.comm, sizeof k.comm);
            u64 *n = get(by_key, k);
            set(by_key, k, n ? *n + 1 : 1);
            sum(totals, 1, 10);
            set(slots, 2, 99);
            set(seen, 5, 1);
            del(seen, 5);
        }
        """)
        #expect(shell.waitForOutput("p1 attached"))
        for _ in 0..<3 { _ = getppid() }
        shell.send("print by_key")
        shell.send("print totals")
        shell.send("print slots")
        shell.send("print seen")
        shell.send("show p1 c")
        shell.send("maps")
        #expect(shell.finish() == 0, "stderr: \(shell.errors)")
        let output = shell.output
        let comm = try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let rows = output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains(["PID", "COMM", "VALUE"]), "\(output)")
        #expect(rows.contains(["\(pid)", comm, "3"]) || rows.contains { $0.first == "\(pid)" && $0.last == "3" })
        #expect(rows.contains(["1", "30"]))
        #expect(rows.contains(["2", "99"]))
        #expect(output.contains("seen: empty"))
        #expect(output.contains("SEC(\"tracepoint/syscalls/sys_enter_getppid\")"), "show p1 c prints the generated C")
        #expect(output.contains("by_key  hash<struct key, u64>  struct key"))
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// A full map is reported, not silent.
    @Test func fullMapIsReported() throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess()
        shell.send("map tiny count<u64> size 2")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) count(tiny, nsecs()); }")
        #expect(shell.waitForOutput("p1 attached"))
        for _ in 0..<10 { _ = getppid() }
        shell.send("run 10ms")
        #expect(shell.finish() == 0)
        #expect(shell.errors.contains("warning: map 'tiny' is full (2 entries): 8 updates were dropped"), "\(shell.errors)")
    }
}
