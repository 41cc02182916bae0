import Foundation
import Testing

/// str(), str_t keys, streq/strprefix and print("%s") against the running kernel:
/// a user pointer (sys_enter_openat's filename) and a __data_loc field
/// (sched_process_exec's filename).
@Suite(.serialized, .needsBPF)
struct StringTests {
    let pid = getpid()

    @Test func opensCountedByPath() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-str-\(pid).txt").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let shell = try ShellProcess()
        shell.send("map files count<str_t>")
        shell.send("probe tracepoint:syscalls:sys_enter_openat { if (pid() == \(pid)) { count(files, str(args->filename)); "
                   + "if (strprefix(str(args->filename), \"/tmp/bpfsh-str-\")) print(\"%s opened %s\\n\", comm(), str(args->filename)); } }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        for _ in 0..<7 { try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).close() }
        shell.send("run 200ms")
        shell.send("print files")
        #expect(shell.finish() == 0, "\(shell.errors)")
        let row = shell.output.split(separator: "\n").first { $0.hasPrefix(path + " ") }
        #expect(row?.split(separator: " ").last == "7", "\(shell.output)")
        #expect(shell.output.components(separatedBy: " opened \(path)\n").count - 1 == 7, "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    @Test func execsCountedByTheirDataLocFilename() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess(arguments: ["--json"])
        shell.send("map execs count<str_t>")
        shell.send("probe tracepoint:sched:sched_process_exec { if (streq(comm(), \"true\")) count(execs, str(args->filename)); }")
        #expect(shell.waitForOutput("\"probe\":\"p1\""), "\(shell.output)")
        for _ in 0..<3 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/true")
            try process.run()
            process.waitUntilExit()
        }
        shell.send("print execs")
        #expect(shell.finish() == 0, "\(shell.output)")
        let map = shell.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.first { $0["type"] as? String == "map" }
        let rows = map?["rows"] as? [[String: Any]] ?? []
        #expect(rows.count == 1 && rows.first?["key"] as? String == "/bin/true" && rows.first?["value"] as? Int == 3,
                "a str_t key is text in JSON: \(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// One body at two points; probe_name() tells them apart, by name, exactly.
    @Test func twoPointsOneBodyCountedByProbeName() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("map calls count<probe_t>")
        shell.send("probe both tracepoint:syscalls:sys_enter_getppid, tracepoint:syscalls:sys_enter_getpgid "
                   + "{ if (pid() == \(pid)) count(calls, probe_name()); }")
        #expect(shell.waitForOutput("both attached: tracepoint:syscalls:sys_enter_getppid, tracepoint:syscalls:sys_enter_getpgid (2 programs)"),
                "\(shell.errors)")
        for _ in 0..<5 { _ = getppid() }
        for _ in 0..<3 { _ = getpgid(0) }
        shell.send("drop both")
        shell.send("print calls")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("tracepoint:syscalls:sys_enter_getppid      5"), "\(shell.output)")
        #expect(shell.output.contains("tracepoint:syscalls:sys_enter_getpgid      3"), "names stay after the probe is dropped: \(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// `set timestamps`: print() lines carry the kernel's time of the event, as seconds
    /// since the session began or as the time of day; JSON events carry it as a field.
    @Test func printedLinesCarryTheirTime() throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess()
        shell.send("set timestamps elapsed")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) print(\"tick %d\\n\", 1); }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        _ = getppid()
        shell.send("run 100ms")
        shell.send("set timestamps wall")
        #expect(shell.waitForOutput("timestamps: wall"))
        _ = getppid()
        shell.send("run 100ms")
        #expect(shell.finish() == 0, "\(shell.errors)")
        let ticks = shell.output.split(separator: "\n").filter { $0.hasSuffix(" tick 1") }.map(String.init)
        #expect(ticks.count == 2, "\(shell.output)")
        #expect(ticks.first?.range(of: #"^\+[0-9]+\.[0-9]{6} tick 1$"#, options: .regularExpression) != nil, "\(ticks)")
        #expect(ticks.last?.range(of: #"^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} tick 1$"#, options: .regularExpression) != nil, "\(ticks)")
    }

    /// join(args->argv) prints an exec's arguments, like execsnoop.
    @Test func joinPrintsTheArgumentVector() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("probe tracepoint:syscalls:sys_enter_execve { if (streq(str(args->filename), \"/bin/echo\")) "
                   + "print(\"exec %s\\n\", join(args->argv)); }")
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/echo")
        process.arguments = ["bpfsh-join", "two words", "3"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        shell.send("run 200ms")
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("exec /bin/echo bpfsh-join two words 3\n"), "\(shell.output)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// kstack() given to print() shows its frames under the line (and as a JSON array).
    @Test func printShowsStacksUnderTheLine() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let shell = try ShellProcess(arguments: ["--json"])
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) print(\"from%s\\n\", kstack()); }")
        #expect(shell.waitForOutput("\"probe\":\"p1\""), "\(shell.output)")
        _ = getppid()
        shell.send("run 200ms")
        #expect(shell.finish() == 0, "\(shell.output)")
        let event = shell.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.first { $0["type"] as? String == "event" }
        let frames = event?["kstack"] as? [String] ?? []
        #expect(event?["text"] as? String == "from\n", "\(shell.output)")
        #expect(frames.contains { $0.hasPrefix("do_syscall_64") }, "\(frames)")
        #expect(leaks.leftovers(of: shell).isEmpty)
    }
}
