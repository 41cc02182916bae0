import Foundation
import Testing
@testable import BPFShell

@Suite struct CommandParserTests {
    func commands(_ text: String) throws -> [CommandSyntax] {
        guard case let .complete(commands) = CommandParser.parse(text) else {
            Issue.record("expected complete parse of \(text)")
            return []
        }
        return commands
    }

    @Test func oneCommandPerLineAndSemicolon() throws {
        let parsed = try commands("probes\nmaps; print x top 3\n\n")
        #expect(parsed.map(\.name.text) == ["probes", "maps", "print"])
        #expect(parsed[2].arguments.map(\.text) == ["x", "top", "3"])
        #expect(parsed[2].name.range.start == SourceLocation(line: 2, column: 7))
    }

    @Test func blocksSpanLinesAndKeepCUntouched() throws {
        let text = "probe p tracepoint:a:b {\n  char *s = \"}{;\"; // } comment\n  /* { */ if (x) { y(); }\n}"
        let parsed = try commands(text)
        #expect(parsed.count == 1)
        let block = try #require(parsed[0].block)
        #expect(block.text.contains("char *s = \"}{;\"; // } comment"))
        #expect(block.start == SourceLocation(line: 1, column: 25))
        #expect(parsed[0].arguments.map(\.text) == ["p", "tracepoint:a:b"])
    }

    @Test func openBlockNeedsMoreInput() {
        #expect(CommandParser.parse("probe tracepoint:a:b {\n count(c, 1);") == .needsMore)
        #expect(CommandParser.parse("c { /* unterminated } comment") == .needsMore)
        #expect(CommandParser.parse("c { char x = '{'; }") != .needsMore)
    }

    @Test func unmatchedCloseBraceIsAnError() {
        guard case let .failed(diagnostics) = CommandParser.parse("maps }") else {
            Issue.record("expected failure")
            return
        }
        #expect(diagnostics[0].message == "unmatched '}'")
        #expect(diagnostics[0].range?.start == SourceLocation(line: 1, column: 6))
    }

    @Test func commentsAtCommandLevel() throws {
        let parsed = try commands("map a hist   # a histogram\n# whole line\nprobes")
        #expect(parsed.map(\.name.text) == ["map", "probes"])
        #expect(parsed[0].arguments.map(\.text) == ["a", "hist"])
    }

    @Test func angleBracketsKeepTypesTogether() throws {
        let parsed = try commands("map opens hash<struct key, u64> size 64k")
        #expect(parsed[0].arguments.map(\.text) == ["opens", "hash<struct key, u64>", "size", "64k"])
    }

    @Test func unclosedBraceLocation() {
        #expect(CommandParser.unclosedBrace(in: "maps\nprobe x:y { if (a) { }") == SourceRange(line: 2, column: 11, length: 1))
    }
}

@Suite struct ProbeSpecTests {
    func token(_ text: String) -> Token { Token(text, SourceRange(line: 1, column: 7, length: text.count)) }

    @Test(arguments: [
        ("tracepoint:syscalls:sys_enter_openat", ProbeKind.tracepoint, ["syscalls", "sys_enter_openat"]),
        ("tp:sched:sched_switch", .tracepoint, ["sched", "sched_switch"]),
        ("rawtracepoint:sched_switch", .rawTracepoint, ["sched_switch"]),
        ("tp_btf:sched_switch", .tpBTF, ["sched_switch"]),
        ("kprobe:do_sys_openat2", .kprobe, ["do_sys_openat2"]),
        ("kretprobe:vfs_read", .kretprobe, ["vfs_read"]),
        ("fentry:vfs_read", .fentry, ["vfs_read"]),
        ("fexit:vfs_read", .fexit, ["vfs_read"]),
        ("uprobe:/bin/bash:readline", .uprobe, ["/bin/bash", "readline"]),
        ("uretprobe:libc:malloc", .uretprobe, ["libc", "malloc"]),
        ("usdt:/usr/bin/python3:python:function__entry", .usdt, ["/usr/bin/python3", "python", "function__entry"]),
        ("profile:hz:99", .profile, ["hz", "99"]),
        ("software:cpu-clock:100000", .software, ["cpu-clock", "100000"]),
        ("hardware:cycles:1000000", .hardware, ["cycles", "1000000"]),
        ("interval:1s", .interval, ["1s"]),
    ])
    func parsesEveryKind(text: String, kind: ProbeKind, parts: [String]) throws {
        let spec = try ProbeSpec.parse(token(text))
        #expect(spec.kind == kind)
        #expect(spec.parts == parts)
    }

    @Test func unknownKindSuggests() {
        #expect(throws: Diagnostic.self) { try ProbeSpec.parse(token("tracepont:a:b")) }
        do {
            _ = try ProbeSpec.parse(token("tracepont:a:b"))
        } catch {
            #expect(error.message == "unknown probe kind 'tracepont'")
            #expect(error.hints.first == "did you mean 'tracepoint'?")
            #expect(error.range == SourceRange(line: 1, column: 7, length: 9))
        }
    }

    @Test func wrongPartCount() {
        do {
            _ = try ProbeSpec.parse(token("tracepoint:syscalls"))
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "'tracepoint:syscalls' does not match tracepoint:CATEGORY:EVENT")
        }
    }

    @Test func wildcards() throws {
        #expect(try ProbeSpec.parse(token("tracepoint:syscalls:sys_enter_*")).hasWildcard)
        #expect(Wildcard.matches("sys_enter_*", "sys_enter_openat"))
        #expect(Wildcard.matches("sys_?nter_read", "sys_enter_read"))
        #expect(!Wildcard.matches("sys_enter_*", "sys_exit_read"))
        #expect(Wildcard.matches("*", ""))
    }
}

@Suite struct MapDeclTests {
    func syntax(_ text: String) throws -> CommandSyntax {
        guard case let .complete(commands) = CommandParser.parse(text) else { throw Diagnostic.error("parse") }
        return commands[0]
    }

    @Test(arguments: [
        ("map opens hash<struct key, u64>", MapKind.hash(key: "struct key", value: "u64"), 10240),
        ("map calls count<comm_t>", .count(key: "comm_t"), 10240),
        ("map total count", .count(key: nil), 1),
        ("map lat hist", .hist(key: nil), 64),
        ("map lat_by hist<u32> size 128", .hist(key: "u32"), 128),
        ("map sizes lhist(0, 4096, 256)", .lhist(min: 0, max: 4096, step: 256), 18),
        ("map start hash<u32, u64> size 65536", .hash(key: "u32", value: "u64"), 65536),
        ("map slots array<u64> size 16", .array(value: "u64"), 16),
        ("map big hash<u32, u64> size 1m", .hash(key: "u32", value: "u64"), 1 << 20),
    ])
    func parses(text: String, kind: MapKind, entries: Int) throws {
        let decl = try MapDecl.parse(try syntax(text))
        #expect(decl.kind == kind)
        #expect(decl.maxEntries == entries)
        #expect(try MapDecl.parse(try syntax(decl.declaration)) == decl, "declaration round-trips")
    }

    @Test(arguments: [
        ("map x hashmap<u32, u64>", "unknown map kind 'hashmap'"),
        ("map x hash<u32>", "hash maps are written hash<KEY, VALUE>"),
        ("map x lhist(5, 1, 1)", "lhist needs MIN < MAX and STEP > 0"),
        ("map x hash<u32 = 1, u64>", "'u32 = 1' is not a C type"),
        ("map 9x hist", "'9x' is not a valid map name"),
        ("map x hist size 10", "a plain hist always has 64 slots; 'size' applies to hist<K>"),
        ("map x", "map needs a name and a kind"),
        ("map bpfsh_x hist", "names starting with 'bpfsh_' are reserved"),
    ])
    func rejects(text: String, message: String) throws {
        do {
            _ = try MapDecl.parse(try syntax(text))
            Issue.record("expected an error for \(text)")
        } catch {
            #expect((error as? Diagnostic)?.message == message)
        }
    }
}

@Suite struct BodyScannerTests {
    @Test func findsMapUsesWithPositions() {
        let block = CodeBlock(text: " u64 *t = get(start, tid());\n  if (t) { hist(lat, 1); } // count(x, 1)\n \"set(y\" ",
                              start: SourceLocation(line: 3, column: 20), range: SourceRange(line: 3, column: 19, length: 1))
        let scanner = BodyScanner(block)
        #expect(scanner.mapUses.map(\.mapName) == ["start", "lat"])
        #expect(scanner.mapUses[0].range == SourceRange(line: 3, column: 34, length: 5))
        #expect(scanner.mapUses[1].range == SourceRange(line: 4, column: 17, length: 3))
        #expect(scanner.identifiers.contains("start") && !scanner.identifiers.contains("x"))
    }

    @Test func ignoresMemberCalls() {
        let block = CodeBlock(text: "ops->count(m, 1); s.set(q, 2);", start: SourceLocation(line: 1, column: 1),
                              range: SourceRange(line: 1, column: 1, length: 1))
        #expect(BodyScanner(block).mapUses.isEmpty)
    }
}

/// `probe SPEC, SPEC {…}` and brace alternatives in a spec.
@Suite struct ProbeSpecListTests {
    @Test func bracesExpandLikeAShell() {
        #expect(ProbeSpec.expandBraces("sys_enter_open{,at}") == ["sys_enter_open", "sys_enter_openat"])
        #expect(ProbeSpec.expandBraces("a{b,c}d{e,f}") == ["abde", "abdf", "acde", "acdf"])
        #expect(ProbeSpec.expandBraces("plain") == ["plain"])
    }

    @Test func aListOfSpecsKeepsWhereEachWasTyped() throws {
        let token = Token("tp:syscalls:sys_enter_open{,at},tp_btf:sched_switch", SourceRange(line: 1, column: 7, length: 52))
        let specs = try ProbeSpec.parseList([token])
        #expect(specs.map(\.description) == ["tracepoint:syscalls:sys_enter_open", "tracepoint:syscalls:sys_enter_openat",
                                             "tp_btf:sched_switch"])
        #expect(specs[2].range == SourceRange(line: 1, column: 39, length: 19))
    }

    @Test func aBraceGroupInAWordIsNotABlock() {
        guard case let .complete(commands) = CommandParser.parse("probe tp:syscalls:sys_enter_open{,at} { count(c); }") else {
            Issue.record("did not parse")
            return
        }
        #expect(commands.first?.arguments.map(\.text) == ["tp:syscalls:sys_enter_open{,at}"])
        #expect(commands.first?.block?.text == " count(c); ")
    }
}

/// Every versioned function of the machine's libc resolves to one place, as the
/// dynamic linker would bind it (no kernel needed: the ELF file is read).
@Suite struct UserFunctionLookupTests {
    @Test func everyVersionedLibcFunctionResolves() throws {
        let path = try #require(BinaryLocator.resolve("libc"))
        let functions = try #require(ELFFile(path: path)).functions()
        let lookup = UserFunctionLookup(path: path, functions: functions)
        let versionedNames = Set(functions.filter { $0.version != nil }.map(\.name))
        #expect(versionedNames.count > 200, "\(versionedNames.count) versioned functions")
        for name in versionedNames {
            #expect(throws: Never.self, "\(name)") { _ = try lookup.resolve(name, at: nil) }
        }
        let plain = try lookup.resolve("pthread_create", at: nil)
        let old = try lookup.resolve("pthread_create@GLIBC_2.2.5", at: nil)
        #expect(plain.isDefaultVersion && plain.version == "GLIBC_2.34" && !old.isDefaultVersion)
        #expect(throws: Diagnostic.self) { _ = try lookup.resolve("pthread_create@GLIBC_9", at: nil) }
        // IFUNC symbols (strlen, memcpy) are functions a uprobe can attach to.
        for name in ["strlen", "memcpy", "time"] {
            #expect(throws: Never.self, "\(name)") { _ = try lookup.resolve(name, at: nil) }
        }
    }
}

/// Lines become commands in linear time, and a command past the limit is refused whole.
@Suite struct CommandGathererTests {
    @Test func aLargeBlockIsReadInLinearTime() {
        var gatherer = CommandGatherer()
        #expect(gatherer.add("probe tracepoint:syscalls:sys_enter_getppid {", lineNumber: 1) == nil)
        let started = Date()
        for index in 0..<50_000 {
            #expect(gatherer.add("    u64 v\(index) = \(index); /* { */ char s[] = \"}\";", lineNumber: index + 2) == nil)
        }
        let chunk = gatherer.add("}", lineNumber: 50_002)
        #expect(Date().timeIntervalSince(started) < 10, "quadratic gathering")
        guard case let .complete(commands)? = chunk?.parsed else {
            Issue.record("no complete command")
            return
        }
        #expect(commands.first?.name.text == "probe" && chunk?.firstLine == 1)
    }

    @Test func anOversizedCommandIsRefusedWithoutItsText() {
        var gatherer = CommandGatherer()
        let line = String(repeating: "x", count: 1 << 20)
        var result: CommandGatherer.Chunk?
        _ = gatherer.add("c {", lineNumber: 1)
        for index in 0..<5 { result = gatherer.add(line, lineNumber: index + 2) ?? result }
        result = gatherer.add("}", lineNumber: 7) ?? result
        guard case let .failed(diagnostics)? = result?.parsed else {
            Issue.record("not refused: \(String(describing: result?.parsed))")
            return
        }
        #expect(diagnostics.first?.message == "the command starting on line 1 is longer than 4 MiB; it was not run")
        #expect(result?.text.isEmpty == true)
    }
}
