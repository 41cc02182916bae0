import Foundation
import Testing

/// What the user sees when the machine lacks something bpfsh needs.
@Suite(.serialized, .needsBPF)
struct EnvironmentErrorTests {
    @Test func clangMissing() throws {
        try Capabilities.requireBPF()
        var result = try ShellProcess.run("map c count<u32>\nprobes\n", environment: ["BPFSH_CLANG": "/nonexistent/clang"])
        #expect(result.errors.contains("error: BPFSH_CLANG is set to '/nonexistent/clang', which is not an executable file"))
        #expect(result.output.contains("no probes yet"), "the session goes on")
        result = try ShellProcess.run("map c count<u32>\n", environment: ["PATH": "/nonexistent"])
        #expect(result.errors.contains("error: no clang with the BPF target was found on PATH"))
        #expect(result.errors.contains("apt-get install clang-19"))
    }

    @Test func tracefsMissing() throws {
        try Capabilities.requireBPF()
        let result = try ShellProcess.run("map c count<u32>\nprobe tracepoint:syscalls:sys_enter_getppid { count(c, 1); }\nmaps\n",
                                          environment: ["BPFSH_TRACEFS": "/nonexistent/tracing"])
        #expect(result.errors.contains("error: tracefs is not available at /nonexistent/tracing"))
        #expect(result.output.contains("c     count<u32>"))
    }

    /// A cache other users can write to is not trusted (root would load what they put
    /// there): a private cache is used for the session, said once, and removed after.
    @Test func untrustedCacheIsNotUsed() throws {
        try Capabilities.requireBPF()
        let shared = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-shared-\(getpid())")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: shared) }
        _ = chmod(shared.path, 0o777)
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
        let result = try ShellProcess.run("map c count\nprobe tracepoint:syscalls:sys_enter_getppid { count(c); }\nmaps\n",
                                          environment: ["XDG_CACHE_HOME": shared.path])
        #expect(result.errors.contains("warning: the cache '\(shared.path)/bpfsh' is not used: '\(shared.path)' can be written by other users"),
                "\(result.errors)")
        #expect(result.errors.components(separatedBy: "is not used").count == 2, "said once")
        #expect(result.output.contains("p1 attached"), "\(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: shared.appendingPathComponent("bpfsh").path + "/kernel-identity"))
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
        #expect(after.subtracting(before).filter { $0.hasPrefix("bpfsh-cache-") }.isEmpty, "the private cache is removed")
    }

    /// A session killed with SIGKILL cannot remove its scratch folder (bpfsh-PID-XXXXXX
    /// under the temporary directory); the next session removes it at start, and leaves
    /// alone the folders of sessions still running.
    @Test func scratchOfAKilledSessionIsRemovedAtTheNextStart() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let temporary = NSTemporaryDirectory()
        func scratchFolders(of pid: pid_t) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []).filter { $0.hasPrefix("bpfsh-\(pid)-") }
        }
        let killed = try ShellProcess()
        killed.send("map c count<u32>")
        killed.send("probe tracepoint:syscalls:sys_enter_getppid { count(c, 1); }")
        #expect(killed.waitForOutput("p1 attached"), "\(killed.errors)")
        let killedPID = killed.process.pid
        #expect(scratchFolders(of: killedPID).count == 1, "a session compiles in a scratch folder of its own")
        killed.process.signal(SIGKILL)
        _ = killed.finish()
        #expect(scratchFolders(of: killedPID).count == 1, "SIGKILL leaves it behind")

        let running = try ShellProcess()
        running.send("map c count<u32>")
        #expect(running.waitForOutput("map c"), "\(running.errors)")
        let result = try ShellProcess.run("map c count<u32>\nprobe tracepoint:syscalls:sys_enter_getppid { count(c, 1); }\n")
        #expect(result.output.contains("p1 attached"), "\(result.errors)")
        #expect(scratchFolders(of: killedPID).isEmpty, "the killed session's folder is removed")
        #expect(scratchFolders(of: running.process.pid).count == 1, "a running session's folder stays")
        #expect(running.finish() == 0)
        #expect(scratchFolders(of: running.process.pid).isEmpty, "a session removes its own at quit")
        #expect(leaks.leftovers().isEmpty)
    }

    /// A clang bpfsh started dies with it: SIGKILL during the cold build of the
    /// precompiled header (clang runs for most of a second) leaves no compiler running on.
    @Test func clangDiesWithAKilledSession() throws {
        try Capabilities.requireBPF()
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-orphan-\(getpid())")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: cache) }
        /// Children of `parent` whose command line holds `word`.
        func children(of parent: pid_t, running word: String) -> [pid_t] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
                guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return nil }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                guard fields.count > 1, pid_t(fields[1]) == parent,
                      let command = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
                return String(decoding: command, as: UTF8.self).contains(word) ? pid : nil
            }
        }
        func isRunning(_ pid: pid_t) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !stat.contains(") Z ") // a zombie has ended; only its reaping is left
        }
        // An empty cache: the session builds vmlinux.h, then the PCH (clang -x c-header).
        let shell = try ShellProcess(environment: ["XDG_CACHE_HOME": cache.path])
        let until = Date().addingTimeInterval(20)
        var compilers: [pid_t] = []
        while compilers.isEmpty, Date() < until {
            compilers = children(of: shell.process.pid, running: "c-header")
            usleep(2_000)
        }
        try #require(!compilers.isEmpty, "no clang was seen building the precompiled header: \(shell.errors)")
        shell.process.signal(SIGKILL)
        _ = shell.finish()
        // The build has most of a second to go: a clang left running would still be here.
        usleep(300_000)
        let survivors = compilers.filter(isRunning)
        survivors.forEach { kill($0, SIGKILL) }
        #expect(survivors.isEmpty, "clang \(survivors) kept running after bpfsh was killed")
    }

    /// A damaged cache heals itself: truncated objects, PCH and vmlinux.h are rebuilt,
    /// never loaded or left to fail every compile.
    @Test(arguments: ["objects", "bpfsh_prelude.pch", "vmlinux.h", "headers removed"])
    func damagedCacheHeals(_ damaged: String) throws {
        try Capabilities.requireBPF()
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-heal-\(getpid())-\(damaged)")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: cache) }
        let script = "map c count\nprobe tracepoint:syscalls:sys_enter_getppid { count(c); }\nprint c\n"
        let first = try ShellProcess.run(script, environment: ["XDG_CACHE_HOME": cache.path])
        #expect(first.output.contains("p1 attached"), "\(first.errors)")
        let root = cache.appendingPathComponent("bpfsh")
        let kernel = try #require(try FileManager.default.contentsOfDirectory(atPath: root.path).first { $0.hasPrefix("kernel-") })
        let compiler = try #require(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(kernel).path)
            .first { $0.hasPrefix("clang-") })
        let headers = root.appendingPathComponent(kernel).appendingPathComponent(compiler)
        if damaged == "headers removed" {
            // A PCH whose headers are gone ("could not find file … referenced by AST file").
            try FileManager.default.removeItem(at: headers.appendingPathComponent("vmlinux.h"))
            try FileManager.default.removeItem(at: headers.appendingPathComponent("bpfsh_prelude.h"))
            // Objects are keyed by the unit's text: remove them so the unit is compiled again.
            try FileManager.default.removeItem(at: headers.appendingPathComponent("objects"))
            let second = try ShellProcess.run(script, environment: ["XDG_CACHE_HOME": cache.path])
            #expect(second.output.contains("p1 attached"), "\(damaged): \(second.errors)")
            #expect(!second.errors.contains("error"), "\(damaged): \(second.errors)")
            return
        }
        let victims = damaged == "objects"
            ? try FileManager.default.contentsOfDirectory(atPath: headers.appendingPathComponent("objects").path)
                .filter { $0.hasSuffix(".o") }.map { headers.appendingPathComponent("objects").appendingPathComponent($0).path }
            : [headers.appendingPathComponent(damaged).path]
        #expect(!victims.isEmpty)
        for victim in victims { _ = truncate(victim, 200) }
        let second = try ShellProcess.run(script, environment: ["XDG_CACHE_HOME": cache.path])
        #expect(second.output.contains("p1 attached"), "\(damaged): \(second.errors)")
        #expect(second.output.contains("c: 0") || second.output.contains("c: "), "\(second.output)")
        #expect(!second.errors.contains("error"), "\(damaged): \(second.errors)")
    }

    /// Sessions starting together on an empty shared cache: one builds the headers, the
    /// others wait for them; every first command works.
    @Test func concurrentSessionsShareAColdCache() throws {
        try Capabilities.requireBPF()
        for round in 0..<2 {
            let cache = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-shared-cold-\(getpid())-\(round)")
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: cache) }
            let shells = try (0..<4).map { _ in try ShellProcess(environment: ["XDG_CACHE_HOME": cache.path], timeout: 90) }
            for (index, shell) in shells.enumerated() { shell.send("map m\(index) count\nquit") }
            for (index, shell) in shells.enumerated() {
                #expect(shell.finish(timeout: 80) == 0, "round \(round) session \(index): \(shell.errors)")
                #expect(shell.output.contains("map m\(index): count"), "round \(round) session \(index): \(shell.errors)")
            }
        }
    }

    /// Without CAP_BPF the user is told what is needed (never "need root" to root).
    @Test func notPrivileged() throws {
        try Capabilities.requireBPF()
        let setpriv = "/usr/bin/setpriv"
        try #require(FileManager.default.isExecutableFile(atPath: setpriv), "setpriv (util-linux) is needed")
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-nobody-\(getpid())")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: cache) }
        chmod(cache.path, 0o777)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: setpriv)
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                             ShellProcess.binaryPath, "-e", "map c count<u32>"]
        process.environment = ["XDG_CACHE_HOME": cache.path, "HOME": cache.path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin",
                               "NO_COLOR": "1"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 1)
        #expect(text.contains("bpfsh needs CAP_BPF and CAP_PERFMON (or root)"), "got: \(text)")
    }

    /// `features` tries each thing; its answers agree with what probes then do.
    @Test func featuresTableMatchesTheKernel() throws {
        try Capabilities.requireBPF()
        let result = try ShellProcess.run("features\n")
        #expect(result.status == 0, "\(result.errors)")
        let rows = Dictionary(result.output.split(separator: "\n").compactMap { line -> (String, String)? in
            let columns = line.components(separatedBy: "  ").filter { !$0.isEmpty }.map { $0.trimmingCharacters(in: .whitespaces) }
            return columns.count >= 2 ? (columns[0], columns[1]) : nil
        }, uniquingKeysWith: { first, _ in first })
        #expect(rows["tracepoint"] == "yes" && rows["tp_btf"] == "yes" && rows["ring buffer"] == "yes", "\(result.output)")
        let kprobePMU = FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe/type")
            || FileManager.default.fileExists(atPath: "/sys/kernel/tracing/kprobe_events")
        #expect(rows["kprobe"] == (kprobePMU ? "yes" : "no"))
        #expect(rows["fentry/fexit"] != nil)
    }
}
