import Foundation
import Testing
@testable import BPFShell

/// Naming frames: kernel modules, bpfsh's dispatch frames, separate debug info,
/// MiniDebugInfo, the vDSO, demangling, and folding rows into stacks.
struct SymbolTests {
    @Test func kernelModuleSymbolsKeepTheirModuleAfterTheOffset() {
        let table = SymbolTable([KernelSymbols.symbol(at: 0x1000, named: "ext4_read\t[ext4]"),
                                 KernelSymbols.symbol(at: 0x2000, named: "vfs_read")])
        #expect(table.describe(0x101c) == "ext4_read+0x1c [ext4]")
        #expect(table.describe(0x2000) == "vfs_read")
    }

    @Test func dispatchFramesAreTrimmedFromTheInnermostEnd() {
        let names: [UInt64: String] = [1: "bpf_prog_08bd34ad45bf04ac_bpfsh_probe", 2: "bpf_trace_run1", 3: "ttwu_do_activate",
                                       4: "try_to_wake_up", 5: "bpf_prog_inner_user_function_named_so"]
        let trimmed = TracingFrames.trimmed([1, 2, 3, 4, 5], function: { names[$0] })
        #expect(Array(trimmed) == [3, 4, 5], "only the run at the top goes")
        #expect(Array(TracingFrames.trimmed([1, 2], function: { names[$0] })) == [1, 2], "all dispatch: kept whole")
        #expect(FrameName.clean("a\tb\nc") == "a b c")
    }

    @Test func demanglesCPlusPlusAndSwift() {
        #expect(Demangler.readable("_ZN4llvm5Value4dumpEv") == "llvm::Value::dump()")
        #expect(Demangler.readable("$sSi1poiyS2i_SitFZ").contains("+ infix"))
        #expect(Demangler.readable("vfs_read") == "vfs_read")
        #expect(Demangler.readable("_Znot really") == "_Znot really")
    }

    @Test func theVDSOIsNamed() throws {
        let table = try #require(VDSO.symbolTable, "bpfsh reads its own vDSO")
        let names = table.symbols.allNames
        #expect(names.contains { $0.contains("clock_gettime") }, "\(names)")
    }

    @Test func foldingPutsProcessThenUserThenKernelFramesRootFirst() {
        let key = Value.record([Value.Member("comm", .string("demo")),
                                Value.Member("user", .stack(StackTrace(isUser: true, id: 1, pid: 7,
                                                                 frames: ["leaf+0x4 (demo)", "main+0x1e (demo)", "0x7f (libc.so.6)"]))),
                                Value.Member("kernel", .stack(StackTrace(isUser: false, id: 2, pid: nil,
                                                                   frames: ["schedule+0x23", "ext4_read+0x1c [ext4]"])))])
        let other = Value.record([Value.Member("comm", .string("demo")),
                                  Value.Member("user", .stack(StackTrace(isUser: true, id: 3, pid: 8,
                                                                   frames: ["leaf+0x9 (demo)", "main+0x1e (demo)", "0x7f (libc.so.6)"]))),
                                  Value.Member("kernel", .stack(StackTrace(isUser: false, id: 2, pid: nil,
                                                                     frames: ["[no kernel stack: the event was in user space]"])))])
        let stackKey = ValueType.record(.init(name: "key", size: 24, fields: [
            .init(name: "user", bitOffset: 0, type: .named("ustack_t", .opaque(size: 8)))]))
        let table = MapContents.Table(keyType: stackKey, valueType: .u64, valueLabel: "count",
                                      rows: [.init(key: key, value: .unsigned(3)), .init(key: other, value: .unsigned(2)),
                                             .init(key: other, value: .unsigned(1))])
        #expect(StackFolding.refusal(of: table) == nil)
        let folded = StackFolding.fold(table)
        #expect(folded.mixesKernelAndUser)
        let text = FoldedText.render(folded.stacks, annotateKernel: folded.mixesKernelAndUser)
        #expect(text.contains("demo;[libc.so.6];main;leaf;ext4_read [ext4]_[k];schedule_[k] 3"), "\(text)")
        #expect(text.contains("demo;[libc.so.6];main;leaf 3"), "equal stacks merge once offsets are dropped: \(text)")
        let plain = MapContents.Table(keyType: .u64, valueType: .u64, valueLabel: "count", rows: [.init(key: .unsigned(1), value: .unsigned(1))])
        #expect(StackFolding.refusal(of: plain)?.contains("no stack") == true)
    }

    /// A stripped program names its static functions from a debug file found by
    /// .gnu_debuglink, and from MiniDebugInfo (.gnu_debugdata, xz) it carries itself.
    @Test func separateDebugInfoAndMiniDebugInfo() throws {
        let source = """
        __attribute__((noinline)) static int hidden_helper(int x) { return x * 3 + 1; }
        int main(int argc, char **argv) { (void)argv; return hidden_helper(argc) == 0; }
        """
        let linked = try TestProgram("debuglinked", source: source)
        defer { linked.remove() }
        let debugFile = linked.path + ".debug"
        try linked.tool("/usr/bin/objcopy", ["--only-keep-debug", linked.path, debugFile])
        try linked.tool("/usr/bin/strip", ["--strip-all", linked.path])
        #expect(!(DebugSymbols(debugRoot: "/nonexistent").table(forFileAt: linked.path)?.symbols.allNames.contains("hidden_helper") ?? true),
                "stripped, and no link yet")
        try linked.tool("/usr/bin/objcopy", ["--add-gnu-debuglink=\(debugFile)", linked.path])
        let viaLink = try #require(DebugSymbols(debugRoot: "/nonexistent").table(forFileAt: linked.path))
        #expect(viaLink.symbols.allNames.contains("hidden_helper"))

        let mini = try TestProgram("minidebug", source: source)
        defer { mini.remove() }
        let symbols = mini.path + ".symbols"
        try mini.tool("/usr/bin/objcopy", ["--only-keep-debug", "--strip-debug", mini.path, symbols])
        try mini.tool("/usr/bin/xz", ["--keep", "--force", symbols])
        try mini.tool("/usr/bin/strip", ["--strip-all", mini.path])
        try mini.tool("/usr/bin/objcopy", ["--add-section", ".gnu_debugdata=\(symbols).xz", mini.path])
        try FileManager.default.removeItem(atPath: symbols)
        let viaMini = try #require(DebugSymbols(debugRoot: "/nonexistent").table(forFileAt: mini.path))
        #expect(viaMini.symbols.allNames.contains("hidden_helper"))
        #expect(XZDecoder.decode(Array("not xz".utf8)) == nil)
    }
}
