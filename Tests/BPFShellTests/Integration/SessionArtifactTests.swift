import Foundation
import Testing

/// Sessions as durable artefacts: scripts that replay, notebooks, JSON lines.
@Suite(.serialized, .needsBPF)
struct SessionArtifactTests {
    let pid = getpid()
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-artifacts-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Lines of a `maps` or `probes` table, without the columns that change run to run.
    static func table(_ output: String, header: String, columns: Int) -> [String] {
        let lines = output.split(separator: "\n").map(String.init)
        guard let start = lines.lastIndex(where: { $0.hasPrefix(header) }) else { return [] }
        return lines[start...].prefix { !$0.isEmpty && !$0.hasPrefix("[") }
            .map { $0.split(separator: " ").prefix(columns).joined(separator: " ") }
    }

    @Test func savedSessionReplaysToTheSameState() throws {
        try Capabilities.requireBPF()
        let script = path("round-trip.bpfsh")
        let original = try ShellProcess.run("""
        c { struct pair { u32 a; u32 b; }; }
        map pairs hash<struct pair, u64>
        map hits count<u32> size 128
        map nosuch hashh<u32>
        probe counter tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) count(hits, 1); }
        probe tracepoint:syscalls:sys_enter_getpid { struct pair p = { .a = 1, .b = 2 }; set(pairs, p, 3); }
        probe broken tracepoint:syscalls:sys_enter_getpid { undeclared(); }
        detach counter
        attach counter
        drop p2
        probe tracepoint:syscalls:sys_enter_getpgid { count(hits, 2); }
        run 10ms
        print hits
        history
        save \(script)
        maps
        probes
        """)
        #expect(original.output.contains("saved 11 commands to \(script)"), "\(original.output)\n\(original.errors)")
        let saved = try String(contentsOfFile: script, encoding: .utf8)
        #expect(!saved.contains("hashh") && !saved.contains("undeclared") && !saved.contains("history") && !saved.contains("save "),
                "failed commands and non-state commands are left out:\n\(saved)")
        let replay = try ShellProcess.run("load \(script)\nmaps\nprobes\n")
        #expect(replay.status == 0, "\(replay.errors)")
        #expect(Self.table(replay.output, header: "NAME", columns: 4) == Self.table(original.output, header: "NAME", columns: 4))
        #expect(Self.table(replay.output, header: "ID", columns: 4) == Self.table(original.output, header: "ID", columns: 4))
        #expect(Self.table(replay.output, header: "ID", columns: 4).count == 3, "\(replay.output)")
        // save never overwrites a different file without -f, and an unwritable path loses nothing.
        let again = try ShellProcess.run("map other hist\nsave \(script)\nsave /nonexistent/dir/x.bpfsh\nmaps\n")
        #expect(again.errors.contains("'\(script)' exists and differs from what would be written"))
        #expect(again.errors.contains("cannot write '/nonexistent/dir/x.bpfsh'"))
        #expect(again.output.contains("other  hist"))
        #expect(try String(contentsOfFile: script, encoding: .utf8) == saved)
    }

    @Test func scriptsStopAtTheFirstErrorWithItsLine() throws {
        try Capabilities.requireBPF()
        let script = path("failing.bpfsh")
        try "map c count<u32>\n# a comment\nprobe tracepoint:syscalls:sys_enter_getppid { count(c, $1); }\nprint nothere\nmap never hist\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        let shell = try ShellProcess(arguments: [script, "7"])
        let status = shell.finish()
        #expect(status == 1)
        #expect(shell.output.contains("p1 attached"), "$1 was substituted: \(shell.errors)")
        #expect(shell.errors.contains("\(script):4:7-13: error: unknown map 'nothere'"), "\(shell.errors)")
        #expect(!shell.output.contains("map never"), "nothing after the failing line runs")
        let missing = try ShellProcess(arguments: [path("does-not-exist.bpfsh")])
        #expect(missing.finish() == 1)
        #expect(missing.errors.contains("cannot run"))
    }

    @Test func notebookOfAKnownScript() throws {
        try Capabilities.requireBPF()
        let script = path("notebook.bpfsh")
        let notebook = path("notebook.md")
        try """
        map calls count<u32>
        probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) count(calls, 42); }
        run 10ms
        print calls
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let shell = try ShellProcess(arguments: ["--notebook", notebook, script])
        #expect(shell.finish() == 0, "\(shell.errors)")
        let text = try String(contentsOfFile: notebook, encoding: .utf8)
        #expect(text.hasPrefix("# bpfsh: notebook.bpfsh\n"))
        #expect(text.contains("```bpfsh\n[1]> map calls count<u32>\n```\n\n```text\nmap calls: count<u32> (percpu_hash, 10240 entries)\n```"))
        #expect(text.contains("[2]> probe tracepoint:syscalls:sys_enter_getppid"))
        #expect(text.contains("```bpfsh\n[4]> print calls\n```\n\n```text\ncalls: empty\n```"), "\(text)")
    }

    @Test func exportKeepsErrorsAndStreamedLines() throws {
        try Capabilities.requireBPF()
        let notebook = path("export.md")
        let shell = try ShellProcess()
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) print(\"seen %d\\n\", pid()); }")
        #expect(shell.waitForOutput("p1 attached"))
        _ = getppid()
        shell.send("run 50ms")
        shell.send("print nosuch")
        shell.send("export \(notebook)")
        #expect(shell.finish() == 1)
        let text = try String(contentsOfFile: notebook, encoding: .utf8)
        #expect(text.contains("seen \(pid)"), "\(text)")
        #expect(text.contains("error: unknown map 'nosuch'"))
        #expect(text.contains("*(failed)*"))
    }

    /// Errors, warnings and statuses are JSON objects too: an error names the file, the
    /// line and the columns it points at.
    @Test func jsonErrorsAreObjects() throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess(arguments: ["--json"])
        shell.send("map calls count<u32>")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { count(cals, 1); }")
        shell.send("bogus")
        shell.send("maps")
        #expect(shell.finish() == 1)
        #expect(shell.errors.isEmpty, "stderr in JSON mode: \(shell.errors)")
        let objects = try shell.output.split(separator: "\n").map { line -> [String: Any] in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "«\(line)»")
        }
        let errors = objects.filter { $0["type"] as? String == "error" }
        #expect(errors.count == 2, "\(objects)")
        #expect(errors.first?["message"] as? String == "unknown map 'cals'")
        #expect(errors.first?["line"] as? Int == 2 && errors.first?["column"] as? Int == 53 && errors.first?["end_column"] as? Int == 56,
                "\(errors)")
        #expect((errors.first?["hints"] as? [String])?.first == "did you mean 'calls'?")
        #expect(objects.first?["type"] as? String == "status" && objects.first?["command"] as? String == "map")
        #expect(objects.last?["type"] as? String == "table" && objects.last?["command"] as? String == "maps")
    }

    @Test func jsonLinesParseBack() throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess(arguments: ["--json"])
        shell.send("map calls count<u32>")
        shell.send("map sizes hist")
        shell.send("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(pid)) { count(calls, 9); hist(sizes, 100); print(\"got \\\"%d\\\"\\n\", 5); } }")
        #expect(shell.waitForOutput("attached"))
        for _ in 0..<3 { _ = getppid() }
        shell.send("run 50ms")
        shell.send("print calls")
        shell.send("print sizes")
        #expect(shell.finish() == 0, "\(shell.errors)")
        let objects = shell.output.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let events = objects.filter { $0["type"] as? String == "event" }
        #expect(events.count == 3, "\(shell.output)")
        #expect(events.first?["text"] as? String == "got \"5\"\n")
        #expect(events.first?["probe"] as? String == "p1")
        let map = objects.first { $0["type"] as? String == "map" }
        let rows = map?["rows"] as? [[String: Any]]
        #expect(rows?.first?["key"] as? Int == 9 && rows?.first?["value"] as? Int == 3, "\(shell.output)")
        let hist = objects.first { $0["type"] as? String == "hist" }
        let buckets = hist?["buckets"] as? [[String: Any]]
        #expect(buckets?.first?["low"] as? Int == 64 && buckets?.first?["high"] as? Int == 127 && buckets?.first?["count"] as? Int == 3)
    }

    /// In a script, Ctrl-C ends a run and the script goes on (run, then print, is
    /// bpftrace's END); a second Ctrl-C ends the script.
    @Test func ctrlCEndsARunThenTheScript() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let script = path("interrupt.bpfsh")
        try """
        map c count
        probe tracepoint:syscalls:sys_enter_getppid { count(c); }
        run 30s
        echo after the first run
        run 30s
        echo never printed

        """.write(toFile: script, atomically: true, encoding: .utf8)
        let shell = try ShellProcess(arguments: [script])
        #expect(shell.waitForOutput("p1 attached"), "\(shell.errors)")
        usleep(300_000)
        kill(shell.process.processIdentifier, SIGINT)
        #expect(shell.waitForOutput("after the first run"), "\(shell.output)")
        usleep(300_000)
        kill(shell.process.processIdentifier, SIGINT)
        _ = shell.finish()
        #expect(shell.output.contains("run interrupted; the script goes on"), "\(shell.output)")
        #expect(shell.output.contains("interrupted again: the script ends here"), "\(shell.output)")
        #expect(!shell.output.contains("never printed"))
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    /// A script that loads itself, directly or through another, is an error naming the chain.
    @Test func scriptsCannotLoadThemselves() throws {
        try Capabilities.requireBPF()
        let first = path("first.bpfsh"), second = path("second.bpfsh")
        try "echo in first\nload \(second)\n".write(toFile: first, atomically: true, encoding: .utf8)
        try "echo in second\nload \(first)\n".write(toFile: second, atomically: true, encoding: .utf8)
        let shell = try ShellProcess(arguments: [first])
        #expect(shell.finish() == 1)
        #expect(shell.errors.contains("'\(first)' would load itself again: first.bpfsh → second.bpfsh → first.bpfsh"), "\(shell.errors)")
        #expect(!shell.errors.contains("Fatal error"))
    }

    @Test func dryRunCompilesWithoutLoading() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let before = LeakCheck.objects()
        let script = path("dry.bpfsh")
        try "map c count<u32>\nprobe tracepoint:syscalls:sys_enter_getppid { count(c, 1); }\nrun 1s\nprint c\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        let shell = try ShellProcess(arguments: ["--dry-run", script])
        #expect(shell.finish() == 0, "\(shell.errors)")
        #expect(shell.output.contains("p1 compiles: tracepoint:syscalls:sys_enter_getppid (1 program)"), "\(shell.output)")
        #expect(shell.output.contains("dry run: 'run 1s' not executed"))
        #expect(!shell.output.contains("attached"))
        #expect(LeakCheck.objects().subtracting(before).filter { $0.contains("bpfsh") }.isEmpty)
        #expect(leaks.leftovers().isEmpty)
        let broken = try ShellProcess(arguments: ["--dry-run", "-e", "map c count<u32>; probe tracepoint:syscalls:sys_enter_getppid { count(d, 1); }"])
        #expect(broken.finish() == 1)
        #expect(broken.errors.contains("unknown map 'd'"))
    }

    /// `--dry-run` needs no privilege for points BTF describes; a tracepoint, which needs
    /// root's tracefs, is an error that says so, at its line.
    @Test func dryRunAsAnUnprivilegedUser() throws {
        try Capabilities.requireBPF()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-dry-nobody-\(getpid())")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        _ = chown(home.path, 65534, 65534)
        let script = home.appendingPathComponent("dry.bpfsh").path
        try """
        map c count<u32>
        probe tp_btf:sched_switch { count(c, 1); }
        probe rawtracepoint:sched_switch { count(c, 2); }
        probe uprobe:libc:malloc { count(c, 3); }
        probe tracepoint:syscalls:sys_enter_getppid { count(c, 4); }

        """.write(toFile: script, atomically: true, encoding: .utf8)
        _ = chmod(script, 0o644)
        let result = try TimedProcess.run("/usr/bin/setpriv", [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/env", "HOME=\(home.path)", "NO_COLOR=1",
            "PATH=\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")",
            ShellProcess.binaryPath, "--dry-run", script,
        ], timeout: 120)
        #expect(result.status == 1, "\(result.output)")
        for expected in ["map c: count<u32> compiles (dry run: not created)",
                         "p1 compiles: tp_btf:sched_switch (1 program)", "p2 compiles: rawtracepoint:sched_switch (1 program)",
                         "p3 compiles: uprobe:libc:malloc (1 program)",
                         "dry.bpfsh:5:7-43: error: tracepoint: probes need tracefs, which only root can read"] {
            #expect(result.output.contains(expected), "missing «\(expected)» in:\n\(result.output)")
        }
    }
}

/// Every saved example session in sessions/ replays in CI.
@Suite(.serialized, .needsBPF)
struct ExampleSessionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let sessions = files(in: "sessions")
    static let snippets = files(in: "bpf-snippets")

    static func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? [])
            .filter { $0.hasSuffix(".bpfsh") }.sorted()
    }

    @Test func examplesArePresent() {
        #expect(Self.sessions.count >= 3 && Self.snippets.count >= 5)
    }

    @Test(arguments: sessions)
    func sessionReplays(_ name: String) throws {
        try Capabilities.requireBPF()
        let path = Self.root.appendingPathComponent("sessions/\(name)").path
        let leaks = LeakCheck(script: try String(contentsOfFile: path, encoding: .utf8))
        let shell = try ShellProcess(arguments: [path], timeout: 60)
        #expect(shell.finish() == 0, "\(name): \(shell.errors)")
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where line.hasPrefix("# expect-output: ") {
            let expected = String(line.dropFirst("# expect-output: ".count))
            #expect(shell.output.contains(expected), "\(name): missing «\(expected)» in\n\(shell.output)")
        }
        #expect(leaks.leftovers().isEmpty)
    }

    /// `--json`: every stdout line is one object with a `type`, and nothing goes to stderr.
    @Test(arguments: sessions)
    func sessionJSONIsObjectsOnly(_ name: String) throws {
        try Capabilities.requireBPF()
        let path = Self.root.appendingPathComponent("sessions/\(name)").path
        let shell = try ShellProcess(arguments: ["--json", path], timeout: 60)
        #expect(shell.finish() == 0, "\(name): \(shell.errors)")
        let lines = shell.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["type"] is String, "\(name): not a JSON object with a type: «\(line)»")
        }
        #expect(shell.errors.isEmpty, "\(name): stderr in JSON mode: \(shell.errors)")
    }

    @Test(arguments: snippets)
    func snippetLoadsByName(_ name: String) throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess(environment: ["BPFSH_SNIPPETS": Self.root.appendingPathComponent("bpf-snippets").path])
        shell.send("load \(name.replacingOccurrences(of: ".bpfsh", with: ""))")
        shell.send("probes")
        #expect(shell.finish() == 0, "\(name): \(shell.errors)")
        #expect(shell.output.contains("attached"), "\(name): \(shell.output)")
    }
}
