import Foundation
import Testing
@testable import BPFShell

@Suite struct TracepointFormatTests {
    static let openat = """
    name: sys_enter_openat
    ID: 782
    format:
    \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
    \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
    \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
    \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

    \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
    \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
    \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
    \tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
    \tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;

    print fmt: "dfd: 0x%08lx"
    """

    @Test func parsesFieldsWithTracefsSizes() {
        let format = TracepointFormat.parse(Self.openat, category: "syscalls", event: "sys_enter_openat")
        #expect(format.fields.map(\.name) == ["common_type", "common_flags", "common_preempt_count", "common_pid",
                                              "__syscall_nr", "dfd", "filename", "flags", "mode"])
        #expect(format.fields[7].size == 8)
        let declaration = format.cDeclaration
        #expect(declaration.contains("struct bpfsh_tp_syscalls__sys_enter_openat {"))
        #expect(declaration.contains("    s32 __syscall_nr;\n    char __pad_12[4];\n    u64 dfd;"))
        #expect(declaration.contains("    const char * filename;"))
        #expect(declaration.contains("    u64 flags;"), "tracefs says 8 bytes: the declared int is not trusted")
    }

    @Test func arraysAndDataLoc() {
        let text = """
        \tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
        \tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
        \tfield:__data_loc char[] name;\toffset:28;\tsize:4;\tsigned:0;
        """
        let format = TracepointFormat.parse(text, category: "sched", event: "x")
        let declaration = format.cDeclaration
        #expect(declaration.contains("char __pad_0[8];"))
        #expect(declaration.contains("char prev_comm[16];"))
        #expect(declaration.contains("s32 prev_pid;"))
        #expect(declaration.contains("bpfsh_data_loc_t name;"))
    }
}

@Suite struct CUnitTests {
    static let point = AttachPoint(kind: .tracepoint, target: .tracepoint(category: "syscalls", event: "sys_enter_openat"),
                                   context: .tracepoint(TracepointFormat.parse(TracepointFormatTests.openat,
                                                                               category: "syscalls", event: "sys_enter_openat")))

    static func unit() -> GeneratedUnit {
        let body = CodeBlock(text: " count(opens, comm()); ", start: SourceLocation(line: 1, column: 45),
                             range: SourceRange(line: 1, column: 44, length: 25))
        let map = MapDefinition(decl: MapDecl(name: "opens", kind: .count(key: "comm_t")), id: 3)
        return CUnitBuilder.probeUnit(points: [point], body: UserCode(fileName: UserCode.bodyFileName, block: body),
                                      cBlocks: [], maps: [map])
    }

    @Test func probeUnitShape() {
        let unit = Self.unit()
        #expect(unit.programNames == ["bpfsh_probe"])
        let text = unit.text
        #expect(text.contains("const volatile u32 bpfsh_probe_id SEC(\".rodata.bpfsh\") = 0;"))
        #expect(text.contains("enum { bpfsh_map_id_opens = 3 };"))
        #expect(text.contains("__uint(type, BPF_MAP_TYPE_PERCPU_HASH);"))
        #expect(text.contains("__type(key, comm_t);"))
        #expect(text.contains("SEC(\"tracepoint/syscalls/sys_enter_openat\")\nint bpfsh_probe(struct bpfsh_tp_syscalls__sys_enter_openat *args)"))
        #expect(text.contains("bpfsh_counter_add(0 + bpfsh_probe_id, 1);"))
        // The body keeps its column: clang reports errors where the user typed them.
        #expect(text.contains("#line 1 \"bpfsh-body\"\n" + String(repeating: " ", count: 44) + " count(opens, comm()); "))
    }

    @Test func wildcardUnitHasOneFunctionPerPoint() {
        var second = Self.point
        second.target = .tracepoint(category: "syscalls", event: "sys_enter_open")
        let body = CodeBlock(text: "", start: SourceLocation(line: 1, column: 1), range: SourceRange(line: 1, column: 1, length: 1))
        let unit = CUnitBuilder.probeUnit(points: [Self.point, second], body: UserCode(fileName: UserCode.bodyFileName, block: body),
                                          cBlocks: [], maps: [])
        #expect(unit.programNames == ["bpfsh_probe_0", "bpfsh_probe_1"])
        #expect(unit.text.components(separatedBy: "struct bpfsh_tp_syscalls__sys_enter_openat {").count == 2,
                "a shared record struct is declared once")
    }

    @Test func mapLayouts() {
        #expect(MapLayout(MapDecl(name: "h", kind: .hist(key: "u32"))).prologue == "struct bpfsh_hist_key_h { u32 key; u32 slot; };")
        let linear = MapLayout(MapDecl(name: "l", kind: .lhist(min: 0, max: 100, step: 10)))
        #expect(linear.prologue?.contains("#define bpfsh_lhist_last_l (11)") == true)
        #expect(MapLayout(MapDecl(name: "a", kind: .array(value: "u64"))).mapType == "BPF_MAP_TYPE_ARRAY")
    }

    @Test func clangMessagesMapToCells() {
        let output = """
        bpfsh-body:1:52: error: use of undeclared identifier 'x'
            1 | count(x, 1)
        bpfsh-generated.c:40:3: warning: something
        /tmp/unit1.c:10:1: note: here
        2 errors generated.
        """
        let messages = ClangMessage.parse(output)
        #expect(messages.count == 3)
        #expect(messages[0] == ClangMessage(severity: .error, message: "use of undeclared identifier 'x'",
                                            file: "bpfsh-body", line: 1, column: 52))
        #expect(messages[1].file == "bpfsh-generated.c" && messages[1].severity == .warning)
    }
}

/// Medium tests: the generated C really compiles with the clang bpfsh would pick.
@Suite(.serialized) struct ClangCompileTests {
    static let toolchain = try? ClangToolchain.locate()
    static var canCompile: Bool {
        toolchain != nil && FileManager.default.isReadableFile(atPath: KernelBTF.path)
    }

    @Test(.enabled(if: canCompile || Capabilities.isCI, "needs clang with the BPF target and kernel BTF"))
    func generatedUnitsCompile() throws {
        let toolchain = try #require(Self.toolchain, "no clang with the BPF target")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-test-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let compiler = ProbeCompiler(toolchain: toolchain, cacheRoot: Session.defaultCacheRoot(),
                                     kernelKey: try KernelBTF.identity(), scratchDirectory: scratch)
        let btf = KernelBTF()
        defer { btf.close() }
        try compiler.prepareHeaders { try btf.vmlinuxHeader() }
        let object = try compiler.compile(CUnitTests.unit())
        #expect(object.elf.starts(with: [0x7f, 0x45, 0x4c, 0x46]), "an ELF object")
        let maps = [MapDefinition(decl: MapDecl(name: "h", kind: .hist(key: "u32")), id: 1),
                    MapDefinition(decl: MapDecl(name: "l", kind: .lhist(min: 0, max: 100, step: 10)), id: 2),
                    MapDefinition(decl: MapDecl(name: "a", kind: .array(value: "u64"), size: 4), id: 3),
                    MapDefinition(decl: MapDecl(name: "s", kind: .hash(key: "u32", value: "u64")), id: 4)]
        let body = CodeBlock(text: """
             hist_by(h, pid(), nsecs()); lhist(l, 42); set(a, 1, 2); u64 *v = get(s, 3);
             if (v) del(s, 3); sum(s, 4, 5); print("%d %s\\n", pid(), "x");
            """, start: SourceLocation(line: 1, column: 1), range: SourceRange(line: 1, column: 1, length: 1))
        let unit = CUnitBuilder.probeUnit(points: [CUnitTests.point], body: UserCode(fileName: UserCode.bodyFileName, block: body),
                                          cBlocks: [], maps: maps)
        #expect(try compiler.compile(unit).elf.count > 0)

        // Every built-in of the table, in one body, compiles (the table is the prelude).
        let everything = [MapDefinition(decl: MapDecl(name: "c", kind: .count(key: "str_t")), id: 5),
                          MapDefinition(decl: MapDecl(name: "n", kind: .count(key: nil)), id: 6),
                          MapDefinition(decl: MapDecl(name: "st", kind: .stats(key: "probe_t", shows: .all)), id: 7),
                          MapDefinition(decl: MapDecl(name: "lo", kind: .stats(key: "ksym_t", shows: .minimum)), id: 8),
                          MapDefinition(decl: MapDecl(name: "hi", kind: .stats(key: "usym_t", shows: .maximum)), id: 9),
                          MapDefinition(decl: MapDecl(name: "g", kind: .hist(key: nil)), id: 10),
                          MapDefinition(decl: MapDecl(name: "k", kind: .count(key: "kstack_t")), id: 11)]
        let allBuiltins = CodeBlock(text: """
             count(c, str(args->filename)); count(n); sum(n, uid() + gid() + cpu() + tid());
             stats(st, probe_name(), nsecs()); min(lo, ksym(0), 1); max(hi, usym(0), min(2, max(3, 4)));
             hist(g, 5); count(k, kstack()); ustack();
             if (streq(comm(), "bash") || strprefix(str(args->filename, 8), "/etc")) print("%s %s\\n", join(0), comm());
            """, start: SourceLocation(line: 1, column: 1), range: SourceRange(line: 1, column: 1, length: 1))
        let covered = Set((body.text + allBuiltins.text).split { !$0.isLetter && $0 != "_" }.map(String.init))
        #expect(Builtin.names.filter { !covered.contains($0) }.isEmpty, "add the new built-in to this body")
        let allUnit = CUnitBuilder.probeUnit(points: [CUnitTests.point], body: UserCode(fileName: UserCode.bodyFileName, block: allBuiltins),
                                             cBlocks: [], maps: maps + everything)
        #expect(try compiler.compile(allUnit).elf.count > 0)
    }
}

/// print()'s format against bpf_snprintf and its arguments, before clang sees it.
@Suite struct PrintCheckTests {
    @Test func acceptsWhatBPFSnprintfDoes() {
        #expect(PrintCheck.problems(in: #" print("%s %d %lu %llx %c %% %5d %-3s %p %pK\n", comm(), 1, 2, 3, 65, 4, str(p), p, p); "#).isEmpty)
        #expect(PrintCheck.problems(in: #" print("no values\n"); x.print("%d"); "#).isEmpty)
    }

    @Test func countsAndTypes() {
        let problems = PrintCheck.problems(in: #"print("%d %s\n", pid()); print("%d", comm()); print("%s", nsecs());"#)
        #expect(problems.map(\.message) == [
            "print() format has 2 conversions but 1 value follows",
            "'%d' formats a number, but comm() (comm_t) is text",
            "'%s' formats text, but nsecs() (u64) is a number",
        ])
        #expect(problems[1].offset == 37 && problems[1].length == 6)
    }

    @Test func unsupportedConversionsNameWhatWorks() {
        let problems = PrintCheck.problems(in: #"print("%.3s %f %o\n", a, b, c);"#)
        #expect(problems.map(\.message) == [
            "print() cannot format '%.3s': bpf_snprintf has no precision ('.N')",
            "print() cannot format '%f': BPF has no floating point",
            "print() cannot format '%o': bpf_snprintf does not know this conversion",
        ])
        #expect(problems.first?.hint.hasPrefix("bpf_snprintf supports %d") == true)
        let many = PrintCheck.problems(in: #"print("%d%d%d%d%d%d%d%d%d%d%d%d%d", 1,2,3,4,5,6,7,8,9,10,11,12,13);"#)
        #expect(many.first?.message == "print() takes at most 12 values; this one has 13")
    }
}
