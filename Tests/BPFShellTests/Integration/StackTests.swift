import Foundation
import Testing
@testable import BPFShell

/// Stacks from the prompt to a flame graph: the bcc classics as snippets (profile,
/// offcputime, stackcount), folded output, every frame named, bpfsh's own frames gone.
@Suite(.serialized, .needsBPF)
struct StackTests {
    static let snippets = ["BPFSH_SNIPPETS": URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bpf-snippets").path]

    /// Burns CPU in flame_leaf (called by flame_middle, called by main) for argv[1] seconds.
    static let busyProgram = """
    #include <stdlib.h>
    #include <time.h>
    static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
    __attribute__((noinline)) unsigned long flame_leaf(unsigned long x) {
        for (int i = 0; i < 20000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
        return x;
    }
    __attribute__((noinline)) unsigned long flame_middle(double until) {
        unsigned long x = 1;
        while (now() < until) x = flame_leaf(x);
        return x;
    }
    int main(int argc, char **argv) { return flame_middle(now() + (argc > 1 ? atof(argv[1]) : 0.5)) == 42; }
    """

    /// The on-CPU profile one-liner (bcc profile -f): the program's frames, root first and
    /// in order, in the folded output and in the SVG, though it exited before the print.
    @Test func onCPUProfileFoldsIntoAFlameGraph() throws {
        try Capabilities.requireBPF()
        // -O0: every function keeps a frame pointer, leaves too (stacks walk them).
        let program = try TestProgram("flamedemo", source: Self.busyProgram, flags: ["-O0"])
        defer { program.remove() }
        let leaks = LeakCheck()
        let shell = try ShellProcess(environment: Self.snippets)
        shell.send("load profile")
        #expect(shell.waitForOutput("profile attached"), "\(shell.errors)")
        try program.run(["0.8"])
        let svg = program.directory.appendingPathComponent("cpu.svg").path
        let folded = program.directory.appendingPathComponent("cpu.folded").path
        shell.send("print oncpu folded")
        shell.send("flame oncpu \(svg) --title \"on-CPU\"")
        shell.send("export oncpu \(folded)")
        let notebook = program.directory.appendingPathComponent("notebook.md").path
        shell.send("export \(notebook)")
        let jupyter = program.directory.appendingPathComponent("notebook.ipynb").path
        shell.send("help flame")
        shell.send("export \(jupyter)")
        shell.send("set output json")
        shell.send("print oncpu folded")
        #expect(shell.finish() == 0, "\(shell.errors)")
        let line = shell.output.split(separator: "\n").first { $0.hasPrefix("flamedemo;") && $0.contains(";flame_leaf") }
        #expect(line?.contains("main;flame_middle;flame_leaf") == true, "\(shell.output.suffix(3000))")
        // libc's own start-up frame comes from its separate debug symbols (libc6-dbg).
        #expect(line?.contains("__libc_start_call_main;main;") == true, "\(line ?? "")")
        #expect(!shell.output.contains("bpf_prog_"), "bpfsh's own frames stay out of stacks")
        #expect(!shell.output.contains("\t"))
        let written = try String(contentsOfFile: folded, encoding: .utf8)
        #expect(written.contains("main;flame_middle;flame_leaf"))
        let image = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(image.hasPrefix("<?xml") || image.hasPrefix("<svg"))
        #expect(image.contains("flame_leaf") && image.contains("flame_middle") && image.contains("on-CPU"))
        #expect(shell.output.contains("flame graph of ") && shell.output.contains("written to \(svg)"))
        // The notebook shows the graph under its cell, linked next to it.
        let markdown = try String(contentsOfFile: notebook, encoding: .utf8)
        #expect(markdown.contains("![cpu.svg](cpu.svg)"), "\(markdown)")
        #expect(!markdown.contains("help flame"), "lookup cells are left out of a hand-out")
        #expect(markdown.contains("*recorded ") && markdown.contains("bpfsh \(Notebook.bpfshVersion)"))
        // The Jupyter notebook is valid nbformat 4 (checked by nbformat itself) with the
        // flame graph inline as SVG.
        let validation = try TimedProcess.run("/usr/bin/python3", ["-c", """
            import json, nbformat, sys
            nb = nbformat.read(sys.argv[1], as_version=4)
            nbformat.validate(nb)
            svgs = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs if 'image/svg+xml' in o.get('data', {})]
            print('valid', len(nb.cells), 'svg', len(svgs))
            """, jupyter], timeout: 60)
        #expect(validation.output.contains("valid") && validation.output.contains("svg 1"), "\(validation.output)")
        let json = shell.output.split(separator: "\n").first { $0.hasPrefix("{\"type\":\"folded\"") }
        #expect(json?.contains("\"frames\":[\"flamedemo\"") == true, "\(json ?? "no folded object")")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// Off-CPU time by stack and comm (bcc offcputime -f): a program that sleeps in a
    /// known function shows that path with about the time it slept, in microseconds.
    @Test func offCPUTimeBySleepingStack() throws {
        try Capabilities.requireBPF()
        let program = try TestProgram("napdemo", source: """
        #include <time.h>
        __attribute__((noinline)) int nap_here(void) {
            struct timespec pause = { 0, 50 * 1000 * 1000 };
            int slept = 0;
            for (int i = 0; i < 4; i++) slept += nanosleep(&pause, 0) == 0;
            return slept;
        }
        int main(void) { return nap_here() != 4; }
        """)
        defer { program.remove() }
        let shell = try ShellProcess(environment: Self.snippets)
        shell.send("load offcputime")
        #expect(shell.waitForOutput("offcputime attached"), "\(shell.errors)")
        #expect(try program.run() == 0)
        shell.send("print offcpu_us folded")
        #expect(shell.finish() == 0, "\(shell.errors)")
        // libc's clock_nanosleep keeps no frame pointer: the walk goes on from its caller's
        // caller (main), as it does for perf and bpftrace.
        let lines = shell.output.split(separator: "\n").filter { $0.hasPrefix("napdemo;") && $0.contains(";main;") && $0.contains("nanosleep") }
        #expect(!lines.isEmpty, "\(shell.output.suffix(3000))")
        // Kernel frames are marked _[k] when user and kernel frames share a line.
        #expect(lines.contains { $0.contains("schedule_[k]") }, "\(lines)")
        let microseconds = lines.compactMap { $0.split(separator: " ").last.flatMap { UInt64($0) } }.reduce(0, +)
        #expect((150_000...2_000_000).contains(microseconds), "4 naps of 50 ms: \(microseconds) us")
    }

    /// Stack counts at a tracepoint (bcc stackcount), and the kernel's dispatch into the
    /// probe kept only when asked.
    @Test func stackCountsAtATracepointAndDispatchFrames() throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess(environment: Self.snippets)
        shell.send("load stackcount")
        shell.send("map wakers count<kstack_t>")
        shell.send("probe tp_btf:sched_wakeup { count(wakers, kstack()); }")
        #expect(shell.waitForOutput("attached", occurrences: 2), "\(shell.errors)")
        _ = FileManager.default.contents(atPath: "/etc/hostname")
        usleep(200_000)
        shell.send("print opens_by_stack")
        shell.send("print wakers top 1")
        shell.send("set stack-frames all")
        shell.send("print wakers top 1")
        #expect(shell.finish() == 0, "\(shell.errors)")
        // At sys_enter the kernel is at the syscall's entry, before openat itself runs.
        let counted = shell.output.components(separatedBy: "stack-frames: all")[0]
        #expect(counted.contains("opens_by_stack[") && counted.contains("do_syscall_64"), "\(shell.output)")
        #expect(!counted.contains("perf_syscall_enter") && !counted.contains("trace_call_bpf"), "dispatch frames trimmed")
        let parts = shell.output.components(separatedBy: "stack-frames: all")
        #expect(parts.count == 2 && !parts[0].contains("bpf_prog_") && parts[1].contains("bpf_prog_"), "\(shell.output)")
        #expect(!shell.output.contains("\t"), "no tab in a frame")
    }

    /// `set stack-slots` sizes the stack map the first stack probe makes (bpftool shows
    /// it), and once it exists says so instead of changing nothing silently.
    @Test func stackSlotsSizeTheStackMap() throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess()
        shell.send("set stack-slots 12")
        shell.send("set stack-slots 4096")
        shell.send("map ks count<kstack_t>")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { count(ks, kstack()); }")
        #expect(shell.waitForOutput("attached"), "\(shell.errors)")
        let listed = try TimedProcess.run("/bin/sh", ["-c", "bpftool map show name bpfsh_stacks"], timeout: 30).output
        _ = getppid()
        shell.send("set stack-slots 8192")
        shell.send("print ks top 1")
        _ = shell.finish()
        #expect(shell.errors.contains("'12' is not a number of stack slots from 1024 to 1048576"), "\(shell.errors)")
        #expect(shell.output.contains("stack-slots: 4096 (about 4.1 MiB"), "\(shell.output)")
        #expect(listed.contains("max_entries 4096"), "\(listed)")
        #expect(shell.errors.contains("the stack map exists already"), "\(shell.errors)")
        #expect(shell.output.contains("ks["), "the probe still counts: \(shell.output)")
    }

    /// A process that lives 20 ms is named: it is announced from BPF when its stack is
    /// first taken, and its mappings are read while it still runs.
    @Test func twentyMillisecondProcessSymbolizes() throws {
        try Capabilities.requireBPF()
        let program = try TestProgram("blink20", source: """
        #include <time.h>
        #include <unistd.h>
        __attribute__((noinline)) int blink_leaf(void) { return getppid() + 1; }
        __attribute__((noinline)) int blink_outer(void) { return blink_leaf(); }
        int main(void) {
            struct timespec start, now;
            clock_gettime(CLOCK_MONOTONIC, &start);
            int result = blink_outer();
            do clock_gettime(CLOCK_MONOTONIC, &now);
            while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 20000000L);
            return result == 0;
        }
        """)
        defer { program.remove() }
        let shell = try ShellProcess()
        shell.send("map blinks count<ustack_t>")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (streq(comm(), \"blink20\")) count(blinks, ustack()); }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        shell.send("run 1500ms")
        usleep(300_000)
        #expect(try program.run() == 0)
        shell.send("print blinks")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("blink_outer+0x") && shell.output.contains("(blink20)"), "\(shell.output)")
        #expect(shell.output.contains("main+0x"))
        #expect(!shell.output.contains("mappings unknown"))
    }

    /// Children forked without exec that are gone within a millisecond: named from the
    /// parent's mappings, whose layout they share.
    @Test func forkedChildrenGoneAtOnceAreNamed() throws {
        try Capabilities.requireBPF()
        let program = try TestProgram("forkfan", source: """
        #include <sys/wait.h>
        #include <time.h>
        #include <unistd.h>
        __attribute__((noinline)) int fork_leaf(void) { return getppid() + 1; }
        __attribute__((noinline)) int fork_outer(void) { return fork_leaf(); }
        int main(void) {
            for (int i = 0; i < 20; i++) if (fork() == 0) _exit(fork_outer() == 0);
            while (wait(0) > 0) {}
            struct timespec pause = { 0, 300 * 1000 * 1000 };
            nanosleep(&pause, 0);
            return 0;
        }
        """, flags: ["-O0"])
        defer { program.remove() }
        let shell = try ShellProcess()
        shell.send("map fans count<ustack_t>")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (streq(comm(), \"forkfan\")) count(fans, ustack()); }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        shell.send("run 1500ms")
        usleep(300_000)
        #expect(try program.run() == 0)
        shell.send("print fans")
        #expect(shell.finish() == 0, "\(shell.errors)")
        let rows = shell.output.components(separatedBy: "fans[").dropFirst()
        #expect(rows.count == 20, "one stack per child: \(rows.count)")
        #expect(rows.allSatisfy { $0.contains("fork_outer") && $0.contains("(forkfan)") }, "\(shell.output.suffix(2000))")
        #expect(!shell.output.contains("mappings unknown"))
    }
}
