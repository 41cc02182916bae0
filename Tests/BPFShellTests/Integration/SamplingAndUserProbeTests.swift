import Foundation
import Testing
@testable import BPFShell

/// uprobes, USDT, perf-event sampling, and the kinds this kernel lacks (kprobes,
/// fentry/fexit, hardware counters): real where they work, a precise error where not.
@Suite(.serialized, .needsBPF)
struct SamplingAndUserProbeTests {
    let pid = getpid()

    @Test func uprobeAndUretprobeOnLibc() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map calls count<u64>")
        shell.send("probe uprobe:libc:getppid { if (pid() == \(pid)) count(calls, 1); }")
        shell.send("probe uretprobe:libc:getpid { if (pid() == \(pid)) count(calls, retval); }")
        #expect(shell.waitForOutput("attached", occurrences: 2), "\(shell.errors)")
        for _ in 0..<17 { _ = getppid() }
        for _ in 0..<4 { _ = getpid() }
        shell.send("print calls sort key")
        #expect(shell.finish() == 0, "\(shell.errors)")
        let rows = shell.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains(["1", "17"]), "\(shell.output)")
        #expect(rows.contains(["\(pid)", "4"]), "uretprobe sees getpid's return value")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    @Test func usdtProbeInAProgramBuiltHere() throws {
        try Capabilities.requireBPF()
        let binary = try buildProgram("demo", source: """
        #include <stdlib.h>
        #include <sys/sdt.h>
        int main(int argc, char **argv) {
            int n = argc > 1 ? atoi(argv[1]) : 3;
            for (int i = 0; i < n; i++) DTRACE_PROBE2(bpfsh_test, tick, i, 42);
            return 0;
        }
        """)
        defer { try? FileManager.default.removeItem(atPath: (binary as NSString).deletingLastPathComponent) }
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map ticks count<long>")
        shell.send("probe usdt:\(binary):bpfsh_test:tick { count(ticks, arg1 * 1000 + arg0); }")
        shell.send("probe usdt:\(binary):bpfsh_test:tock { }")
        #expect(shell.waitForOutput("p1 attached: usdt:\(binary):bpfsh_test:tick"), "\(shell.errors)")
        #expect(run(binary, ["3"]) == 0)
        shell.send("print ticks sort key")
        #expect(shell.finish() == 1, "the tock probe does not exist")
        let rows = shell.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains(["42000", "1"]) && rows.contains(["42002", "1"]), "\(shell.output)")
        #expect(shell.errors.contains("has no USDT probe 'bpfsh_test:tock'"))
        #expect(shell.errors.contains("did you mean 'bpfsh_test:tick'?"))
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// pthread_create has two versions in glibc; the plain name binds to the default one,
    /// as the dynamic linker does, and counts the threads a program starts.
    @Test func versionedLibcSymbolCountsThreads() throws {
        try Capabilities.requireBPF()
        let binary = try buildProgram("threads", source: """
        #include <pthread.h>
        #include <stdlib.h>
        static void *work(void *arg) { return arg; }
        int main(int argc, char **argv) {
            int n = argc > 1 ? atoi(argv[1]) : 3;
            for (int i = 0; i < n; i++) { pthread_t t; pthread_create(&t, 0, work, 0); pthread_join(t, 0); }
            return 0;
        }
        """)
        defer { try? FileManager.default.removeItem(atPath: (binary as NSString).deletingLastPathComponent) }
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map threads count")
        shell.send("probe uprobe:libc:pthread_create { if (streq(comm(), \"threads\")) count(threads); }")
        #expect(shell.waitForOutput("p1 attached: uprobe:libc:pthread_create"), "\(shell.errors)")
        #expect(run(binary, ["5"]) == 0)
        shell.send("print threads")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("threads: 5\n"), "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// ksym()/usym() keys print as function+offset; a user address still names its
    /// function after the process exited.
    @Test func symbolKeysNameTheirFunctions() throws {
        try Capabilities.requireBPF()
        let binary = try buildProgram("symdemo", source: """
        #include <unistd.h>
        __attribute__((noinline)) int bpfsh_symbol_target(int x) { return x * 2; }
        int main(void) {
            int s = 0;
            for (int i = 0; i < 4; i++) s += bpfsh_symbol_target(i);
            usleep(600000); /* the shell reads a recorded process's mappings while it waits for input */
            return s == 12 ? 0 : 1;
        }
        """)
        defer { try? FileManager.default.removeItem(atPath: (binary as NSString).deletingLastPathComponent) }
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map u count<usym_t>")
        shell.send("map k count<ksym_t>")
        shell.send("c { extern const void vfs_read __ksym; }")
        shell.send("probe uprobe:\(binary):bpfsh_symbol_target { count(u, usym(PT_REGS_IP(ctx))); count(k, ksym(&vfs_read)); }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        #expect(run(binary, []) == 0)
        shell.send("run 100ms")
        shell.send("print u")
        shell.send("print k")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("bpfsh_symbol_target (symdemo)      4"), "\(shell.output)")
        #expect(shell.output.contains("vfs_read      4"), "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// Every function glibc exports in several versions (pthread_create, …, about 217)
    /// attaches by its plain name: the default version, as the dynamic linker binds it.
    @Test func everyMultiVersionLibcFunctionAttaches() throws {
        try Capabilities.requireBPF()
        let libc = try #require(BinaryLocator.resolve("libc"))
        let functions = try #require(ELFFile(path: libc)).functions()
        let names = Dictionary(grouping: functions.filter { $0.version != nil }, by: \.name)
            .filter { Set($0.value.compactMap(\.version)).count > 1 }.keys.sorted()
        #expect(names.count > 200, "\(names.count)")
        let leaks = LeakCheck()
        let script = names.map { "probe uprobe:libc:\($0) { }" }.joined(separator: "\n") + "\nprobes\n"
        let result = try ShellProcess.run(script, timeout: 120)
        let attached = result.output.split(separator: "\n").filter { $0.contains(" attached: uprobe:libc:") }.count
        // The kernel refuses a uprobe on some x86 instructions (pthread_spin_lock starts
        // with a lock-prefixed one): each such refusal must be the explained error.
        let refused = result.errors.components(separatedBy: "the kernel cannot place a uprobe on the instruction").count - 1
        #expect(attached + refused == names.count && refused <= 3,
                "\(attached) attached, \(refused) refused, of \(names.count): \(result.errors.prefix(2000))")
        #expect(!result.errors.contains("has no function") && !result.errors.contains("ambiguous"), "\(result.errors.prefix(2000))")
        // Quit handed the release of 200 uprobes to a holder process: it finishes soon after.
        #expect(leaks.leftovers(waiting: 60).isEmpty)
    }

    @Test func samplingKinds() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map samples count<u32>")
        shell.send("probe profile:hz:99 { count(samples, 1); }")
        shell.send("probe software:cpu-clock:1000000 { count(samples, 2); }")
        shell.send("probe interval:100ms { count(samples, 3); }")
        shell.send("probe hardware:cycles:1000000 { count(samples, 4); }")
        #expect(shell.waitForOutput("p3 attached: interval:100ms"), "\(shell.errors)")
        shell.send("run 550ms")
        shell.send("print samples sort key")
        shell.send("probes")
        _ = shell.finish()
        let rows = shell.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        func count(_ key: String) -> Int { rows.first { $0.count == 2 && $0[0] == key }.flatMap { Int($0[1]) } ?? 0 }
        #expect(count("1") > 0, "profile sampled:\n\(shell.output)")
        #expect(count("2") > 0, "software cpu-clock sampled")
        #expect((3...7).contains(count("3")), "an interval of 100ms fires about five times in 550ms: \(count("3"))")
        // A hardware counter works where there is a PMU, and says precisely why not elsewhere.
        #expect(shell.output.contains("hardware:cycles:1000000 (1 program)")
                    || shell.errors.contains("hardware perf events need a PMU"), "\(shell.errors)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    @Test func kprobesWorkOrSayWhyNot() throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess()
        shell.send("map reads count<u32>")
        shell.send("probe kprobe:vfs_read { if (pid() == \(pid)) count(reads, 1); }")
        shell.send("probe kretprobe:vfs_read { if (pid() == \(pid) && retval >= 0) count(reads, 2); }")
        shell.send("maps")
        _ = shell.finish()
        if FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe/type") {
            #expect(shell.output.contains("p1 attached: kprobe:vfs_read"), "\(shell.errors)")
        } else {
            #expect(shell.errors.contains("kprobes are not available on this kernel: it has no kprobe PMU"), "\(shell.errors)")
            #expect(shell.errors.contains("hint: use a tracepoint"))
        }
        #expect(shell.output.contains("reads  count<u32>"), "the session goes on")
    }

    @Test func fentryWorksOrSaysWhyNot() throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess()
        shell.send("map reads count<u64>")
        shell.send("info fexit:vfs_read")
        shell.send("probe fentry:vfs_read { if (pid() == \(pid)) count(reads, count); }")
        shell.send("probe fexit:vfs_read { if (pid() == \(pid)) count(reads, retval); }")
        _ = shell.finish()
        #expect(shell.output.contains("struct file *file;") && shell.output.contains("(the return value)"), "\(shell.output)")
        #expect(shell.output.contains("p1 attached: fentry:vfs_read")
                    || shell.errors.contains("fentry/fexit need BPF trampolines"), "\(shell.errors)")
    }

    /// Where the kernel cannot run them, the C for every kind still compiles.
    @Test func everyKindCompilesInADryRun() throws {
        try Capabilities.requireBPF()
        let result = try ShellProcess.run("""
        map c count<u64>
        probe kprobe:vfs_read { count(c, (u64)file + count + arg2); }
        probe kprobe:vfs_read+0x4 { count(c, arg0); }
        probe kretprobe:vfs_read { count(c, retval); }
        probe fentry:vfs_read { count(c, count); }
        probe fexit:vfs_read { count(c, retval); }
        probe hardware:instructions { count(c, 1); }
        probe uprobe:libc:malloc { count(c, arg0); }
        """, arguments: ["--dry-run"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.components(separatedBy: " compiles: ").count - 1 == 7, "\(result.output)")
    }

    @Test func kernelStacksSymbolize() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map ks count<kstack_t>")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) count(ks, kstack()); }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        for _ in 0..<5 { _ = getppid() }
        shell.send("print ks")
        #expect(shell.finish() == 0, "\(shell.errors)")
        // The syscall entry path is on every such stack.
        #expect(shell.output.contains("ks[\n"), "\(shell.output)")
        #expect(shell.output.contains("do_syscall_64") || shell.output.contains("entry_SYSCALL_64"), "\(shell.output)")
        #expect(shell.output.contains("]: 5"))
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// A short-lived process's user stack still symbolizes after it exited.
    @Test func userStacksOfExitedProcesses() throws {
        try Capabilities.requireBPF()
        let binary = try buildProgram("ustackdemo", source: """
        #include <unistd.h>
        __attribute__((noinline)) int bpfsh_leaf(void) { return getppid() + 1; }
        __attribute__((noinline)) int bpfsh_outer(int n) { int s = 0; for (int i = 0; i < n; i++) s += bpfsh_leaf(); return s; }
        int main(void) { usleep(200000); int s = bpfsh_outer(3); usleep(200000); return s == 0; }
        """)
        defer { try? FileManager.default.removeItem(atPath: (binary as NSString).deletingLastPathComponent) }
        let shell = try ShellProcess()
        shell.send("map us count<ustack_t>")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { comm_t c = comm(); if (c.str[0] == 'u' && c.str[1] == 's' && c.str[6] == 'd') count(us, ustack()); }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        shell.send("run 1200ms")
        usleep(100_000)
        #expect(run(binary, []) == 0)
        usleep(1_300_000)
        shell.send("print us")
        shell.send("set output json")
        shell.send("print us")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("bpfsh_outer+0x") && shell.output.contains("(ustackdemo)"), "\(shell.output)")
        #expect(shell.output.contains("main+0x"))
        #expect(shell.output.contains("]: 3"))
        let json = shell.output.split(separator: "\n").first { $0.hasPrefix("{\"type\":\"map\"") }
        #expect(json?.contains("\"key\":[\"") == true, "a stack is an array of frames in JSON: \(json ?? "")")
    }

    /// Compiles a C test program into a temporary folder and returns the binary's path.
    private func buildProgram(_ name: String, source: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-\(name)-\(pid)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sourcePath = directory.appendingPathComponent("\(name).c").path
        let binary = directory.appendingPathComponent(name).path
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        try #require(run("/usr/bin/cc", ["-O1", "-fno-omit-frame-pointer", "-o", binary, sourcePath]) == 0,
                     "cc and sys/sdt.h (gcc, systemtap-sdt-dev: make test installs them) are needed")
        return binary
    }

    private func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
