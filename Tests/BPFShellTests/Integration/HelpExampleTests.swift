import Foundation
import Testing
@testable import BPFShell

/// Every example `help` shows runs: each probe kind's example attaches here (or, for a
/// kind this kernel lacks, fails naming the missing feature); `list` searches every
/// kind; `help helpers` asks the kernel.
@Suite(.serialized, .needsBPF)
struct HelpExampleTests {
    @Test(arguments: ProbeKindGuide.all.map(\.kind.rawValue))
    func probeKindExampleRuns(_ kindName: String) throws {
        try Capabilities.requireBPF()
        let guide = try #require(ProbeKindGuide.named(kindName))
        let leaks = LeakCheck()
        let shell = try ShellProcess()
        shell.send("help \(kindName)")
        shell.send(guide.exampleMap)
        shell.send(guide.example)
        shell.send("maps")
        #expect(shell.finish(timeout: 60) != -9, "\(shell.errors)")
        #expect(shell.output.contains(guide.kind.syntax) && shell.output.contains(guide.example), "\(shell.output)")
        if guide.mayBeMissing, !shell.output.contains(" attached: ") {
            #expect(shell.errors.contains("not available") || shell.errors.contains("need") || shell.errors.contains("PMU"),
                    "a kind this kernel lacks is named as such: \(shell.errors)")
        } else {
            #expect(shell.output.contains(" attached: \(guide.kind.rawValue)"), "\(shell.errors)")
        }
        #expect(leaks.leftovers(of: shell).isEmpty)
    }

    @Test func listSearchesEveryKindAndSuggests() throws {
        try Capabilities.requireBPF()
        let result = try ShellProcess.run("list *open*\nlist tracepoint:*open*\nlist sys_enter_opnat\n")
        let first = result.output.split(separator: "\n").filter { $0 == "tracepoint:syscalls:sys_enter_openat" }.count
        #expect(first == 2, "both searches find it: \(result.output.prefix(500))")
        #expect(result.output.contains("kprobe:do_sys_openat2"), "functions are searched too")
        #expect(!result.output.contains("__pfx_"))
        #expect(result.errors.contains("nothing matches 'sys_enter_opnat'") && result.errors.contains("did you mean 'sys_enter_openat'"),
                "\(result.errors)")
    }

    @Test func helpReferencesAnswer() throws {
        try Capabilities.requireBPF()
        let result = try ShellProcess.run("help helpers tracepoint\nhelp maps\nhelp errors\nhelp\n")
        #expect(result.output.contains("bpf_get_stackid") && result.output.contains("Walk a user or a kernel stack"), "\(result.output.prefix(800))")
        #expect(!result.output.contains("bpf_skb_store_bytes"), "packet helpers are not a tracepoint's")
        #expect(result.output.contains("lhist(MIN, MAX, STEP)") && result.output.contains("map_value_or_null"))
        #expect(result.output.contains("probe kinds ('help KIND' explains one)"))
        #expect(result.status == 0, "\(result.errors)")
    }
}

/// Every built-in's example in `help NAME` compiles inside a probe, with the maps it
/// names declared and a point whose fields it reads.
struct BuiltinExampleTests {
    /// The maps the examples fill, as a user would declare them.
    static let maps = [
        "calls": "count<comm_t>", "start": "hash<u32, u64>", "by_user": "count<u32>", "by_group": "count<u32>",
        "per_cpu": "count<u32>", "stacks": "count<kstack_t>", "callers": "count<ksym_t>", "opens": "count<comm_t>",
        "bytes": "count<comm_t>", "lat": "hist", "lat_by": "hist<u32>", "sizes": "lhist(0, 4096, 512)",
        "files": "count<str_t>", "etc": "count", "fastest": "min<comm_t>", "slowest": "max<comm_t>",
    ]

    /// The point whose context the example reads.
    static func point(for example: String) -> String {
        if example.contains("args->argv") { return "tracepoint:syscalls:sys_enter_execve" }
        if example.contains("args->filename") { return "tracepoint:syscalls:sys_enter_openat" }
        if example.contains("args->count") { return "tracepoint:syscalls:sys_enter_read" }
        if example.contains("PT_REGS_IP(ctx)") { return "uprobe:libc:getppid" }
        return "tracepoint:syscalls:sys_enter_getppid"
    }

    /// Where an example's key differs from the usual one for that map name.
    static let keyOverrides: [String: [String: String]] = [
        "pid": ["calls": "count<u64>"], "probe_name": ["calls": "count<probe_t>"], "ustack": ["stacks": "count<ustack_t>"],
        "usym": ["calls": "count<usym_t>"], "streq": ["calls": "count"], "stats": ["sizes": "stats<comm_t>"],
    ]

    @Test func everyBuiltinExampleCompiles() throws {
        var script: [String] = []
        for builtin in Builtin.all {
            var example = builtin.example
            // `*t` from an earlier line of the help's story: a timestamp read from start.
            if example.contains("*t"), !example.contains("u64 *t") {
                example = "u64 *t = get(start, tid()); if (!t) return 0; " + example
            }
            // Each example gets maps of its own (prefixed with the built-in's name), declared
            // with the kind its operation needs.
            for (name, kind) in Self.maps where example.contains("(\(name),") || example.contains("(\(name))") {
                let own = "\(builtin.name)_\(name)"
                example = example.replacingOccurrences(of: "(\(name),", with: "(\(own),").replacingOccurrences(of: "(\(name))", with: "(\(own))")
                script.append("map \(own) \(Self.keyOverrides[builtin.name]?[name] ?? kind)")
            }
            script.append("probe \(builtin.name)_example \(Self.point(for: example)) { \(example) }")
        }
        let result = try ShellProcess.run(script.joined(separator: "\n") + "\n", arguments: ["--dry-run"], timeout: 300)
        let compiled = result.output.components(separatedBy: " compiles: ").count - 1
        #expect(compiled == Builtin.all.count, "\(compiled) of \(Builtin.all.count) examples compiled:\n\(result.errors.prefix(4000))")
    }

    /// Every command's example (what `help COMMAND` shows) runs, in one session, in an
    /// order that gives each what it needs (a map named `opens`, a probe `p1`, stacks);
    /// files go to a private folder and the metrics port is any free one.
    @Test func everyCommandExampleRuns() throws {
        try Capabilities.requireBPF()
        let folder = try makeTemporaryDirectory(prefix: "bpfsh-examples")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func runnable(_ example: String) -> String {
            example.replacingOccurrences(of: "/tmp/", with: folder + "/").replacingOccurrences(of: "serve metrics 9100", with: "serve metrics 0")
        }
        // What the examples assume exists, added before the example that needs it.
        let preparation: [String: [String]] = [
            "flame": ["map stacks count<kstack_t>", "probe profile:hz:99 { count(stacks, kstack()); }", "run 300ms"],
            "every": ["map lat hist", "probe tracepoint:syscalls:sys_enter_getppid { hist(lat, 5); }"],
            "tutorial": [],
        ]
        let order = ["c", "map", "probe", "list", "info", "help", "features", "flame", "every", "echo", "print", "clear", "maps", "probes",
                     "detach", "attach", "show", "drop", "run", "serve", "history", "save", "load", "export", "time", "tutorial", "set", "quit"]
        let names = CommandRegistry.all.map { $0.name }
        #expect(Set(names) == Set(order), "every command has a place here: \(names)")
        let leaks = LeakCheck(mapNames: ["opens", "stacks", "lat"])
        let shell = try ShellProcess(environment: ["XDG_STATE_HOME": folder, "XDG_DATA_HOME": folder], timeout: 120)
        for name in order {
            guard let example = CommandRegistry.command(named: name).map({ $0.example }) else { continue }
            for line in preparation[name] ?? [] { shell.send(line) }
            shell.send(runnable(example))
            if name == "tutorial" { shell.send("tutorial stop") }
        }
        let status = shell.finish(timeout: 90)
        #expect(status == 0, "every example ran without an error:\n\(shell.errors.suffix(3000))")
        #expect(!shell.errors.contains("error:"), "\(shell.errors.suffix(3000))")
        #expect(FileManager.default.fileExists(atPath: folder + "/cpu.svg") && FileManager.default.fileExists(atPath: folder + "/session.md"))
        #expect(leaks.leftovers(of: shell).isEmpty)
    }
}
