import Foundation
import Testing

/// The core issue's session and its guarantees, against the running kernel.
@Suite(.serialized, .needsBPF)
struct CoreSessionTests {
    let pid = getpid()

    /// The walkthrough from the issue: counts, an unknown map, a latency histogram,
    /// maps that outlive a dropped probe, and nothing left in the kernel afterwards.
    @Test func issueWalkthrough() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess(timeout: 90)
        shell.send("map opens count<comm_t>")
        shell.send("probe tracepoint:syscalls:sys_enter_openat { if (pid() == \(pid)) count(opens, comm()); }")
        #expect(shell.waitForOutput("p1 attached: tracepoint:syscalls:sys_enter_openat (1 program)"))
        for _ in 0..<25 { close(open("/dev/null", O_RDONLY)) }
        shell.send("run 200ms")
        shell.send("print opens top 5")
        shell.send("map lat hist")
        shell.send("probe tracepoint:syscalls:sys_enter_read { set(start, tid(), nsecs()); }")
        shell.send("map start hash<u32, u64>")
        shell.send("probe tracepoint:syscalls:sys_enter_read { if (pid() == \(pid)) set(start, tid(), nsecs()); }")
        shell.send("probe tracepoint:syscalls:sys_exit_read { u64 *t = get(start, tid()); if (t) { hist(lat, nsecs() - *t); del(start, tid()); } }")
        #expect(shell.waitForOutput("attached", occurrences: 3))
        let fd = open("/dev/zero", O_RDONLY)
        var buffer = [UInt8](repeating: 0, count: 64)
        for _ in 0..<20 { _ = read(fd, &buffer, 64) }
        close(fd)
        shell.send("run 100ms")
        shell.send("print lat us")
        shell.send("drop p1")
        shell.send("print opens top 5")
        shell.send("clear opens")
        shell.send("print opens")
        shell.send("probes")
        shell.send("maps")
        shell.send("quit")
        let status = shell.finish()
        let output = shell.output, errors = shell.errors
        // bpf_get_current_comm() names the thread, and tests run on worker threads.
        let comm = try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        // The table counted our 25 opens under our comm, before and after the drop.
        let rows = output.split(separator: "\n").filter { $0.hasPrefix(comm) }
        #expect(rows.count == 2, "expected the comm row twice in:\n\(output)")
        for row in rows { #expect(row.split(separator: " ").last.flatMap { Int($0) } ?? 0 >= 25) }
        #expect(errors.contains("error: unknown map 'start'"))
        #expect(errors.contains("hint: declare it first, for example: map start hash<u32, u64>"))
        #expect(output.contains("usecs") && output.contains("distribution"))
        #expect(output.contains("dropped p1"))
        #expect(output.contains("opens: empty"))
        #expect(output.contains("p2    tracepoint:syscalls:sys_enter_read"))
        #expect(!output.contains("p1    tracepoint"))
        #expect(output.contains("start  hash<u32, u64>"))
        #expect(status == 1, "one command failed on purpose, so a piped session exits 1")
        #expect(leaks.leftovers(of: shell).isEmpty, "left in the kernel: \(leaks.leftovers(of: shell))")
    }

    /// Exactly N getppid calls made by this process are counted, no more, no less.
    @Test func countsExactlyTheCallsMade() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map calls count<u32>")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) count(calls, pid()); }")
        #expect(shell.waitForOutput("p1 attached"))
        for _ in 0..<1234 { _ = getppid() }
        shell.send("print calls")
        shell.send("probes")
        let status = shell.finish()
        #expect(status == 0, "stderr: \(shell.errors)")
        let row = shell.output.split(separator: "\n").first { $0.hasPrefix("\(pid) ") }
        #expect(row?.split(separator: " ").last == "1234", "output:\n\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// A keyless counter counts and sums without a key, and prints as one number.
    @Test func keylessCountersCountExactly() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map calls count")
        shell.send("map bytes count")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) { count(calls); sum(bytes, 3); } }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        for _ in 0..<321 { _ = getppid() }
        shell.send("print calls")
        shell.send("print bytes")
        #expect(shell.finish() == 0, "stderr: \(shell.errors)")
        #expect(shell.output.contains("calls: 321\n"), "\(shell.output)")
        #expect(shell.output.contains("bytes: 963\n"), "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// stats<K>, min<K>, max<K> of known read sizes, folded over CPUs; min()/max() of two
    /// values stay C.
    @Test func statsOfKnownValues() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let fd = open("/dev/zero", O_RDONLY)
        defer { close(fd) }
        let shell = try ShellProcess()
        shell.send("map sizes stats<u32>")
        shell.send("map small min<u32>")
        shell.send("map large max<u32>")
        shell.send("probe tracepoint:syscalls:sys_enter_read { if (pid() == \(pid) && args->fd == \(fd)) { "
                   + "stats(sizes, 7, args->count); min(small, 7, args->count); max(large, 7, max(args->count, 0)); } }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        var buffer = [UInt8](repeating: 0, count: 512)
        for size in [100, 300, 200] { _ = read(fd, &buffer, size) }
        shell.send("print sizes")
        shell.send("print small")
        shell.send("print large")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("KEY  COUNT  SUM  MIN  MAX  AVG\n  7      3  600  100  300  200\n"), "\(shell.output)")
        #expect(shell.output.contains("KEY  MIN\n  7  100\n"), "\(shell.output)")
        #expect(shell.output.contains("KEY  MAX\n  7  300\n"), "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// `print m top N` picks the N largest counters while reading (the rest are never
    /// kept) and shows them like a full print would, largest first.
    @Test func topNOfCountersWhileReading() throws {
        try Capabilities.requireBPF()
        let fd = open("/dev/zero", O_RDONLY)
        defer { close(fd) }
        let shell = try ShellProcess()
        shell.send("map sizes count<u64>")
        shell.send("probe tracepoint:syscalls:sys_enter_read { if (pid() == \(pid) && args->fd == \(fd)) count(sizes, args->count); }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        var buffer = [UInt8](repeating: 0, count: 64)
        for size in 1...30 { for _ in 0..<size { _ = read(fd, &buffer, size) } }
        shell.send("print sizes top 3")
        shell.send("print sizes")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("KEY  COUNT\n 30     30\n 29     29\n 28     28\n"), "\(shell.output)")
        let fullRows = shell.output.split(separator: "\n").filter { $0.split(separator: " ").count == 2 && Int($0.split(separator: " ")[0]) != nil }
        #expect(fullRows.count == 33, "top 3 then all 30: \(fullRows.count)")
    }

    /// A hash map of half a million buckets is read by one thread per CPU over shares of
    /// the buckets: a top N gives the heavy keys exact, each once, among 150,000 others,
    /// and a full print every key once with its count.
    @Test func bigMapReadInParallel() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let fd = open("/dev/zero", O_RDONLY)
        defer { close(fd) }
        let shell = try ShellProcess()
        shell.send("map offsets count<u64> size 400000")
        shell.send("probe tracepoint:syscalls:sys_enter_lseek { if (pid() == \(pid) && args->fd == \(fd)) count(offsets, args->offset); }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        for offset in 1...150_000 { lseek(fd, off_t(offset), SEEK_SET) }
        for heavy in 1...5 { for _ in 0..<(heavy * 10) { lseek(fd, off_t(1_000_000 + heavy), SEEK_SET) } }
        shell.send("print offsets top 5")
        shell.send("print offsets top 30")
        shell.send("print offsets")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("""
                KEY  COUNT
            1000005     50
            1000004     40
            1000003     30
            1000002     20
            1000001     10

            """), "\(shell.output.prefix(2000))")
        let keys = shell.output.split(separator: "\n").compactMap { line -> Int? in
            let fields = line.split(separator: " ")
            return fields.count == 2 ? Int(fields[0]) : nil
        }
        #expect(keys.count == 35 + 150_005, "top 5, top 30, then all: \(keys.count) rows")
        #expect(Set(keys.dropFirst(5).prefix(30)).count == 30, "a key shown twice: \(keys.dropFirst(5).prefix(30))")
        let all = keys.dropFirst(35)
        #expect(Set(all).count == all.count, "the full print shows a key twice")
        let counts = shell.output.split(separator: "\n").suffix(150_005).compactMap { Int($0.split(separator: " ").last ?? "") }
        #expect(counts.reduce(0, +) == 150_000 + 150, "every call counted once")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// Known values land in the log2 and linear buckets they belong to.
    @Test func histogramsOfKnownValues() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let target = open("/dev/null", O_WRONLY)
        defer { close(target) }
        let shell = try ShellProcess()
        shell.send("map sizes hist")
        shell.send("map linear lhist(0, 1000, 100)")
        shell.send("map by_fd hist<u32>")
        shell.send("""
        probe tracepoint:syscalls:sys_enter_write {
            if (pid() != \(pid) || args->fd != \(target)) return 0;
            hist(sizes, args->count);
            lhist(linear, args->count);
            hist_by(by_fd, (u32)args->fd, args->count);
        }
        """)
        #expect(shell.waitForOutput("p1 attached"))
        let buffer = [UInt8](repeating: 0, count: 4096)
        for size in [1, 2, 3, 100, 1000, 1000, 5000] { _ = write(target, buffer, size) }
        shell.send("print sizes")
        shell.send("print linear")
        shell.send("print by_fd")
        let status = shell.finish()
        #expect(status == 0, "stderr: \(shell.errors)")
        let lines = shell.output.split(separator: "\n").map { $0.replacingOccurrences(of: " ", with: "") }
        func has(_ row: String) -> Bool { lines.contains { $0.hasPrefix(row) } }
        #expect(has("0->1:1|"), "\(shell.output)")
        #expect(has("2->3:2|"))
        #expect(has("64->127:1|"))
        #expect(has("512->1023:2|"))
        #expect(has("4096->8191:1|"))
        #expect(has("0->99:3|"))
        #expect(has("100->199:1|"))
        #expect(has(">=1000:3|"))
        #expect(shell.output.contains("by_fd[\(target)]:"))
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// Maps keep their data through probe redefinition, detach and drop.
    @Test func mapsOutliveProbes() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map c count<u32>")
        shell.send("probe pp tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) count(c, 1); }")
        #expect(shell.waitForOutput("pp attached"))
        for _ in 0..<10 { _ = getppid() }
        shell.send("probe pp tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) count(c, 2); }")
        #expect(shell.waitForOutput("pp attached", occurrences: 2))
        for _ in 0..<5 { _ = getppid() }
        shell.send("detach pp")
        #expect(shell.waitForOutput("detached pp"))
        for _ in 0..<7 { _ = getppid() }
        shell.send("attach pp")
        #expect(shell.waitForOutput("attached pp"))
        for _ in 0..<3 { _ = getppid() }
        shell.send("drop pp")
        #expect(shell.waitForOutput("dropped pp"))
        for _ in 0..<9 { _ = getppid() }
        shell.send("print c sort key")
        shell.send("probes")
        let status = shell.finish()
        #expect(status == 0, "stderr: \(shell.errors)")
        let rows = shell.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains(["1", "10"]), "\(shell.output)")
        #expect(rows.contains(["2", "8"]))
        #expect(shell.output.contains("no probes yet"))
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// SIGTERM, SIGHUP and SIGINT (outside run) release everything the session made.
    @Test(arguments: [SIGTERM, SIGHUP, SIGINT])
    func signalsReleaseEverything(signal: Int32) throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map c count<comm_t>")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { count(c, comm()); }")
        #expect(shell.waitForOutput("p1 attached"))
        kill(shell.process.processIdentifier, signal)
        shell.process.waitUntilExit()
        #expect(shell.process.terminationStatus == 128 + signal || signal == SIGINT)
        #expect(leaks.leftovers(of: shell).isEmpty, "left after signal \(signal): \(leaks.leftovers(of: shell))")
        _ = shell.finish()
    }

    /// Ctrl-C during `run` ends the run early and keeps every map.
    @Test func interruptedRunKeepsMaps() throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess()
        shell.send("map c count<u32>")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) count(c, 7); }")
        #expect(shell.waitForOutput("p1 attached"))
        for _ in 0..<4 { _ = getppid() }
        shell.send("run 30s")
        usleep(300_000)
        kill(shell.process.processIdentifier, SIGINT)
        #expect(shell.waitForOutput("run interrupted"))
        shell.send("print c")
        let status = shell.finish()
        #expect(status == 0)
        #expect(shell.output.split(separator: "\n").contains { $0.split(separator: " ").map(String.init) == ["7", "4"] },
                "\(shell.output)")
    }
}
