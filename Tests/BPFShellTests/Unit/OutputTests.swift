import Testing
@testable import BPFShell

@Suite struct ValueDecoderTests {
    static let keyType = ValueType.record(.init(name: "key", size: 20, fields: [
        .init(name: "pid", bitOffset: 0, type: .u32),
        .init(name: "comm", bitOffset: 32, type: .array(element: .integer(size: 1, isSigned: true, isChar: true, isBool: false), count: 16)),
    ]))

    @Test func decodesStructsStringsAndIntegers() {
        var bytes: [UInt8] = [0x39, 0x30, 0, 0] + Array("bash".utf8)
        bytes += [UInt8](repeating: 0, count: 12)
        let value = ValueDecoder.decode(bytes, as: Self.keyType)
        #expect(value == .record([.init("pid", .unsigned(12345)), .init("comm", .string("bash"))]))
        #expect(ValueDecoder.decode([0xff, 0xff, 0xff, 0xff], as: .integer(size: 4, isSigned: true, isChar: false, isBool: false)) == .signed(-1))
    }

    @Test func wrapperStructReadsAsItsMember() {
        let comm = ValueType.named("comm_t", .record(.init(name: "", size: 16, fields: [
            .init(name: "str", bitOffset: 0, type: .array(element: .integer(size: 1, isSigned: true, isChar: true, isBool: false), count: 16)),
        ])))
        #expect(ValueDecoder.decode(Array("sshd".utf8) + [UInt8](repeating: 0, count: 12), as: comm) == .string("sshd"))
    }

    @Test func enumsAndBitfields() {
        let state = ValueType.enumeration(.init(name: "s", size: 4, isSigned: false, cases: ["RUNNING": 0, "SLEEPING": 1]))
        #expect(ValueDecoder.decode([1, 0, 0, 0], as: state) == .enumCase("SLEEPING", 1))
        let bits = ValueType.record(.init(name: "b", size: 4, fields: [
            .init(name: "low", bitOffset: 0, bitSize: 3, type: .u32),
            .init(name: "high", bitOffset: 3, bitSize: 5, type: .u32),
        ]))
        #expect(ValueDecoder.decode([0b1010_1101, 0, 0, 0], as: bits) == .record([.init("low", .unsigned(5)), .init("high", .unsigned(21))]))
    }
}

@Suite struct MapContentsTests {
    func entry(_ key: UInt32, _ value: UInt64) -> RawEntry {
        RawEntry(key: withUnsafeBytes(of: key) { Array($0) }, value: withUnsafeBytes(of: value) { Array($0) })
    }

    @Test func tablesSortByValueAndCut() {
        let contents = MapContents.build(kind: .count(key: "u32"), keyType: .u32, valueType: .u64,
                                         entries: [entry(1, 5), entry(2, 50), entry(3, 7)],
                                         selection: .init(limit: 2))
        guard case let .table(table) = contents else { Issue.record("expected a table"); return }
        #expect(table.rows.map(\.key) == [.unsigned(2), .unsigned(3)])
        let text = TextRenderer().render(contents, name: "c")
        #expect(text == "KEY  COUNT\n  2     50\n  3      7\n")
    }

    @Test func log2HistogramRendersLikeBCC() {
        let contents = MapContents.build(kind: .hist(key: nil), keyType: .u32, valueType: .u64,
                                         entries: [entry(0, 1), entry(1, 2), entry(3, 4)])
        let text = TextRenderer().render(contents, name: "lat", unit: .ns)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasSuffix(": count    distribution"))
        #expect(lines[1] == "          0 -> 1          : 1        |**********                              |")
        #expect(lines[2] == "          2 -> 3          : 2        |********************                    |")
        #expect(lines[3] == "          4 -> 7          : 0        |                                        |")
        #expect(lines[4] == "          8 -> 15         : 4        |****************************************|")
    }

    @Test func linearHistogramHasOpenEnds() {
        let histogram = Histogram.linear(slots: [0: 2, 1: 3, 3: 1, 11: 4], min: 0, max: 100, step: 10)
        #expect(histogram.buckets.map(\.count) == [2, 3, 0, 1, 4])
        #expect(histogram.buckets.first?.low == nil && histogram.buckets.first?.high == -1)
        #expect(histogram.buckets.last?.low == 100 && histogram.buckets.last?.high == nil)
        let text = TextRenderer().renderHistogram(histogram, unit: nil)
        #expect(text.contains("< 0"))
        #expect(text.contains(">= 100"))
    }

    @Test func keyedHistogramsGroupByKey() {
        let keyType = ValueType.record(.init(name: "k", size: 8, fields: [
            .init(name: "key", bitOffset: 0, type: .u32), .init(name: "slot", bitOffset: 32, type: .u32),
        ]))
        func keyed(_ key: UInt32, _ slot: UInt32, _ count: UInt64) -> RawEntry {
            RawEntry(key: withUnsafeBytes(of: key) { Array($0) } + withUnsafeBytes(of: slot) { Array($0) },
                     value: withUnsafeBytes(of: count) { Array($0) })
        }
        let contents = MapContents.build(kind: .hist(key: "u32"), keyType: keyType, valueType: .u64,
                                         entries: [keyed(7, 1, 3), keyed(9, 2, 1), keyed(7, 2, 1)])
        guard case let .keyedHistograms(histograms) = contents else { Issue.record("expected histograms"); return }
        #expect(histograms.map(\.key) == [.unsigned(7), .unsigned(9)])
        #expect(histograms[0].histogram.total == 4)
    }

    /// Nanoseconds shown in microseconds are bucketed in microseconds: 1024 ns is in
    /// "0 -> 1", 2^20 ns (1048 us) in "1024 -> 2047"; no "0.00 -> 0.01" labels.
    @Test func unitsRebucketInTheDisplayedUnit() {
        let text = TextRenderer().renderHistogram(.log2(slots: [10: 1, 20: 2]), unit: .us)
        #expect(text.contains("usecs"))
        #expect(text.contains("0 -> 1  ") && text.contains("1024 -> 2047"), "\(text)")
        #expect(!text.contains("."), "whole numbers only: \(text)")
        let rows = text.split(separator: "\n").dropFirst()
        #expect(rows.first?.contains(": 1 ") == true && rows.last?.contains(": 2 ") == true, "\(text)")
    }
}

@Suite struct DiagnosticRendererTests {
    @Test func pointsAtWhatWasTyped() {
        let renderer = DiagnosticRenderer(sourceName: "input", text: "probe tracepoint:a:b { count(opnes, 1); }", lineOffset: 2)
        let text = renderer.render(Diagnostic(.error, "unknown map 'opnes'", at: SourceRange(line: 1, column: 30, length: 5),
                                              hints: ["did you mean 'opens'?"]))
        #expect(text == """
        input:3:30-34: error: unknown map 'opnes'
            probe tracepoint:a:b { count(opnes, 1); }
                                         ~~~~~
        hint: did you mean 'opens'?

        """)
    }

    @Test func suggestions() {
        #expect(Suggestions.closest(to: "opnes", in: ["opens", "lat", "start"]) == ["opens"])
        #expect(Suggestions.closest(to: "zzz", in: ["opens"]).isEmpty)
    }
}

@Suite struct VerifierReportTests {
    static let log = """
    0: R1=ctx() R10=fp0
    ; int bpfsh_p1(struct x *args) @ unit3.c:37
    0: (b7) r6 = 0
    ; u64 *t = get(start, tid()); @ bpfsh-body:2
    17: (85) call bpf_map_lookup_elem#1
    18: (79) r2 = *(u64 *)(r0 +0)
    R0 invalid mem access 'map_value_or_null'
    processed 22 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1
    """

    @Test func summarisesTheRejection() {
        let report = VerifierReport(log: Self.log)
        #expect(report.message == "R0 invalid mem access 'map_value_or_null'")
        #expect(report.instruction == "18: (79) r2 = *(u64 *)(r0 +0)")
        #expect(report.file == "bpfsh-body" && report.line == 2)
        #expect(report.sourceLine == "u64 *t = get(start, tid());")
        #expect(report.explanation?.contains("NULL check") == true)
    }

    @Test func extractsTheLogFromLibbpfOutput() {
        let output = "libbpf: prog 'p': BPF program load failed: Permission denied\nlibbpf: prog 'p': -- BEGIN PROG LOAD LOG --\nA\nB\n-- END PROG LOAD LOG --\nlibbpf: failed"
        #expect(LibbpfBackend.extractVerifierLog(fromLibbpfOutput: output) == "A\nB")
    }
}

/// One output model, two renderers: the same item reads as text on a terminal and as
/// one JSON object per line, with typed values.
@Suite struct OutputModelTests {
    let source = SourceContext(sourceName: "script.bpfsh", text: "map c count<u32>\nprint cc", lineOffset: 10)

    @Test func statusCarriesFactsInJSON() {
        let item = OutputItem.status(Status(command: "probe", message: "p1 attached",
                                            facts: [("probe", .string("p1")), ("timing", .object([("total_ms", .milliseconds(41.23456))]))]))
        #expect(TextRenderer().render(item).text == "p1 attached\n")
        #expect(JSONRenderer().render(item)
                    == #"{"type":"status","command":"probe","text":"p1 attached","probe":"p1","timing":{"total_ms":41.235}}"# + "\n")
    }

    @Test func tablesAreColumnsForPeopleAndObjectsForPrograms() {
        let table = Table(command: "probes", columns: ["ID", "NAME", "HITS"],
                          rows: [[.integer(1), .text("p1"), .integer(UInt64(12))], [.integer(2), .text("reads"), .integer(UInt64(0))]])
        #expect(TextRenderer().render(.table(table)).text == "ID  NAME   HITS\n1   p1     12\n2   reads  0\n")
        #expect(JSONRenderer().render(.table(table)) == #"{"type":"table","command":"probes","columns":["id","name","hits"],"rows":[{"id":1,"name":"p1","hits":12},{"id":2,"name":"reads","hits":0}]}"# + "\n")
    }

    @Test func diagnosticsGoToStderrAsTextAndCarryPositionsInJSON() {
        let diagnostic = Diagnostic(.error, "unknown map 'cc'", at: SourceRange(line: 2, column: 7, length: 2), hints: ["did you mean 'c'?"])
        let text = TextRenderer().render(.diagnostic(diagnostic, source))
        #expect(text.isError)
        #expect(text.text.hasPrefix("script.bpfsh:12:7-8: error: unknown map 'cc'\n    print cc\n          ~~\n"))
        #expect(JSONRenderer().render(.diagnostic(diagnostic, source))
                    == #"{"type":"error","message":"unknown map 'cc'","file":"script.bpfsh","line":12,"column":7,"end_column":8,"hints":["did you mean 'c'?"]}"# + "\n")
    }

    @Test func colourOnlyWhenAsked() {
        let diagnostic = Diagnostic(.error, "boom")
        #expect(TextRenderer(useColor: true).render(.diagnostic(diagnostic, source)).text.contains("\u{1B}["))
        #expect(!TextRenderer().render(.diagnostic(diagnostic, source)).text.contains("\u{1B}["))
    }

    /// In JSON mode stdout gets objects only, and the notebook transcript stays plain text.
    @Test func presenterRoutesByFormat() {
        let sink = CapturedOutput()
        let presenter = Presenter(sink: sink, useColor: true)
        presenter.format = .json
        presenter.show(.warning("map 'c' is full"))
        presenter.show(.lost(count: 3))
        #expect(sink.errors.isEmpty)
        #expect(sink.text == #"{"type":"warning","message":"map 'c' is full"}"# + "\n" + #"{"type":"lost","count":3}"# + "\n")
        let transcript = presenter.takeTranscript()
        #expect(transcript.hasPrefix("warning: map 'c' is full\nwarning: 3 print() records lost"))
        #expect(!transcript.contains("\u{1B}["))
    }
}

@Suite struct VisibleControlCharacterTests {
    /// An escape sequence typed by mistake is shown, never sent to the terminal.
    @Test func controlCharactersAreShownNotObeyed() {
        let renderer = DiagnosticRenderer(sourceName: "input", text: "map \u{1B}[31mred count")
        let text = renderer.render(Diagnostic.error("'\u{1B}[31mred' is not a valid map name",
                                                    at: SourceRange(line: 1, column: 5, length: 8)))
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("'^[[31mred' is not a valid map name"))
    }

    /// While `every` repeats, a histogram keeps the widest columns it had: the `:` and the
    /// bars stay where they were when the values shrink.
    @Test func heldHistogramWidthsDoNotShrinkBetweenTicks() {
        var renderer = TextRenderer()
        let widths = HistogramWidths()
        renderer.widths = widths
        let small = Histogram.log2(slots: [1: 3])
        let large = Histogram.log2(slots: [40: 123_456_789])
        let free = renderer.renderHistogram(small, unit: nil)
        widths.hold()
        _ = renderer.renderHistogram(large, unit: nil)
        let held = renderer.renderHistogram(small, unit: nil)
        func colon(_ text: String) -> Int? {
            guard let line = text.split(separator: "\n").last, let index = line.firstIndex(of: ":") else { return nil }
            return line.distance(from: line.startIndex, to: index)
        }
        #expect(colon(held) == colon(renderer.renderHistogram(large, unit: nil)))
        #expect(colon(held) != colon(free))
        widths.release()
        #expect(renderer.renderHistogram(small, unit: nil) == free)
    }
}
