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
