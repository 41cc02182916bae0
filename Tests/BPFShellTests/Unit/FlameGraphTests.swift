import Foundation
import Testing
@testable import BPFShell

@Suite struct FoldedTextTests {
    @Test func renderAndParseRoundTrip() throws {
        let stacks = [
            FoldedStack(frames: [FlameFrame("bash", kind: .process), FlameFrame("a;b"), FlameFrame("vfs_read", kind: .kernel)], count: 12),
            FoldedStack(frames: [FlameFrame("tab\there"), FlameFrame("line\nbreak\r"), FlameFrame("operator new(unsigned long)")], count: 3),
            FoldedStack(frames: [FlameFrame(""), FlameFrame("leaf 42")], count: 1),
        ]
        let text = FoldedText.render(stacks, annotateKernel: true)
        #expect(text == "bash;a:b;vfs_read_[k] 12\ntab?here;line?break?;operator new(unsigned long) 3\n;leaf_42 1\n")
        let parsed = try FoldedText.parse(text)
        #expect(parsed.map(\.frames) == [
            [FlameFrame("bash"), FlameFrame("a:b"), FlameFrame("vfs_read", kind: .kernel)],
            [FlameFrame("tab?here"), FlameFrame("line?break?"), FlameFrame("operator new(unsigned long)")],
            [FlameFrame(""), FlameFrame("leaf_42")],
        ])
        #expect(parsed.map(\.count) == [12, 3, 1])
        #expect(FoldedText.render(parsed, annotateKernel: true) == text, "a second round changes nothing")
    }

    @Test func kernelSuffixOnlyWhenAsked() {
        let stack = FoldedStack(frames: [FlameFrame("main", kind: .user), FlameFrame("vfs_read", kind: .kernel)], count: 2)
        #expect(FoldedText.render([stack], annotateKernel: false) == "main;vfs_read 2\n")
        #expect(FoldedText.render([FoldedStack(frames: [], count: 5)], annotateKernel: true) == "", "no frames, no line")
    }

    @Test func parsesPerfCollapsesWithBlankAndCRLFLines() throws {
        let parsed = try FoldedText.parse("java;start_thread;do_syscall_64_[k] 5\r\n\n  \nswapper;cpu_idle_[k]\t7\n")
        #expect(parsed == [
            FoldedStack(frames: [FlameFrame("java"), FlameFrame("start_thread"), FlameFrame("do_syscall_64", kind: .kernel)], count: 5),
            FoldedStack(frames: [FlameFrame("swapper"), FlameFrame("cpu_idle", kind: .kernel)], count: 7),
        ])
    }

    @Test(arguments: [
        ("a;b 1\na;c\n", 2, "no count"),
        ("a;b 1\n\na;c 1.5\n", 3, "whole-number"),
        ("a;b 3 4\n", 1, "difffolded"),
        ("a;b 99999999999999999999\n", 1, "whole-number"),
    ])
    func malformedLinesNameTheirLine(text: String, line: Int, reason: String) {
        #expect {
            try FoldedText.parse(text)
        } throws: { error in
            guard let error = error as? FoldedTextError else { return false }
            return error.line == line && error.description.contains(reason)
        }
    }
}

@Suite struct FlameGraphTests {
    static func frameTitles(_ svg: String) -> [String] {
        svg.components(separatedBy: "<g><title>").dropFirst().compactMap { $0.components(separatedBy: "</title>").first }
    }

    /// The rect attributes of the frame whose title starts with `name (`.
    static func rect(of name: String, in svg: String) -> [String: String]? {
        guard let group = svg.components(separatedBy: "<g><title>").first(where: { $0.hasPrefix(name + " (") }),
              let rect = group.components(separatedBy: "<rect ").dropFirst().first?.components(separatedBy: "/>").first else { return nil }
        var attributes: [String: String] = [:]
        for pair in rect.split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { attributes[String(parts[0])] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return attributes
    }

    static func color(of name: String, in svg: String) -> (red: Int, green: Int, blue: Int)? {
        guard let fill = rect(of: name, in: svg)?["fill"], fill.count == 7, let value = Int(fill.dropFirst(), radix: 16) else { return nil }
        return (value >> 16, (value >> 8) & 0xFF, value & 0xFF)
    }

    static func stack(_ names: String, _ count: UInt64) -> FoldedStack {
        FoldedStack(frames: names.split(separator: ";").map { FlameFrame(String($0), kind: .user) }, count: count)
    }

    @Test func sameFramesUnderTheSameParentMerge() throws {
        let svg = FlameGraph.svg([Self.stack("a;c", 3), Self.stack("a;b", 1), Self.stack("a;b", 2), Self.stack("d;b", 4)],
                                 options: FlameGraphOptions())
        #expect(Self.frameTitles(svg) == ["all (10 samples, 100.00%)", "a (6 samples, 60.00%)", "b (3 samples, 30.00%)",
                                          "c (3 samples, 30.00%)", "d (4 samples, 40.00%)", "b (4 samples, 40.00%)"])
        let b = try #require(Self.rect(of: "b", in: svg)), c = try #require(Self.rect(of: "c", in: svg))
        #expect(b["x"] == "10" && b["width"] == "354", "children alphabetical from the parent's left edge")
        #expect(c["x"] == "364" && c["width"] == "354")
        #expect(Self.rect(of: "all", in: svg)?["width"] == "1180")
    }

    @Test func framesNarrowerThanMinWidthAreLeftOut() {
        let stacks = [Self.stack("main;busy", 100_000), Self.stack("main;rare", 1)]
        let svg = FlameGraph.svg(stacks, options: FlameGraphOptions())
        #expect(!svg.contains("<title>rare"), "1/100001 of 1180 px is 0.012 px, under the 0.1 px default")
        var everything = FlameGraphOptions()
        everything.minWidth = 0
        #expect(FlameGraph.svg(stacks, options: everything).contains("<title>rare (1 samples"))
    }

    @Test func namesAreEscapedEverywhere() {
        var options = FlameGraphOptions()
        options.title = "</text><script>alert(2)</script>"
        options.countName = "\"events\""
        let svg = FlameGraph.svg([FoldedStack(frames: [FlameFrame("<script>alert(1)</script>"), FlameFrame("it's \"quoted\" & \u{1}odd")],
                                              count: 5)], options: options)
        #expect(!svg.contains("<script>alert"))
        #expect(svg.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; (5 &quot;events&quot;, 100.00%)</title>"))
        #expect(svg.contains("it&#39;s &quot;quoted&quot; &amp; \u{FFFD}odd"))
        #expect(svg.contains("&lt;/text&gt;&lt;script&gt;alert(2)&lt;/script&gt;"))
        #expect(svg.components(separatedBy: "<script").count == 2, "one script element: the graph's own")
        #expect(!FlameGraphScript.script.contains("]]>") && !FlameGraphScript.style.contains("]]>"), "both sit in CDATA")
    }

    @Test func differentialColoursGrowthRedAndShrinkBlue() throws {
        let after = [Self.stack("main;grew", 60), Self.stack("main;shrank", 20), Self.stack("main;same", 20)]
        let before = [Self.stack("main;grew", 20), Self.stack("main;shrank", 60), Self.stack("main;same", 20), Self.stack("main;gone", 100)]
        let svg = FlameGraph.differentialSVG(after: after, before: before, options: FlameGraphOptions())
        let grew = try #require(Self.color(of: "grew", in: svg)), shrank = try #require(Self.color(of: "shrank", in: svg))
        #expect(grew.red == 255 && grew.green < 200 && grew.blue == grew.green)
        #expect(shrank.blue == 255 && shrank.red < 250 && shrank.red == shrank.green)
        // Normalised by totals: "same" had 10% of 200 before and has 20% of 100 now: it grew, a little.
        let same = try #require(Self.color(of: "same", in: svg))
        #expect(same.red == 255 && same.green > grew.green)
        #expect(!svg.contains("<title>gone"), "the shape is the after profile")
        #expect(svg.contains("<title>grew (60 samples, 60.00%; before 20 samples, 10.00%; delta +50.00%)</title>"))
        #expect(svg.contains("<title>shrank (20 samples, 20.00%; before 60 samples, 30.00%; delta -10.00%)</title>"))
    }

    @Test func coloursFollowKindOrPaletteAndStayPutAcrossGraphs() throws {
        let stacks = [FoldedStack(frames: [FlameFrame("sshd", kind: .process), FlameFrame("main", kind: .user),
                                           FlameFrame("tcp_sendmsg", kind: .kernel)], count: 1)]
        let svg = FlameGraph.svg(stacks, options: FlameGraphOptions())
        let kernel = try #require(Self.color(of: "tcp_sendmsg", in: svg))
        #expect(kernel.red >= 225 && (110...175).contains(kernel.green) && kernel.blue < 40, "orange")
        let process = try #require(Self.color(of: "sshd", in: svg))
        #expect(process.blue > process.red && process.blue >= 190, "grey-blue")
        let user = try #require(Self.color(of: "main", in: svg))
        #expect(user.red >= 205 && user.blue <= 55, "hot")
        let other = FlameGraph.svg([Self.stack("x;y;main", 7)], options: FlameGraphOptions())
        #expect(Self.rect(of: "main", in: other)?["fill"] == Self.rect(of: "main", in: svg)?["fill"])
        var io = FlameGraphOptions()
        io.palette = .io
        let blue = try #require(Self.color(of: "tcp_sendmsg", in: FlameGraph.svg(stacks, options: io)))
        #expect(blue.blue > blue.red && blue.blue > blue.green)
    }

    @Test func invertedPutsTheRootOnTop() throws {
        var options = FlameGraphOptions()
        options.inverted = true
        let svg = FlameGraph.svg([Self.stack("a;b", 1)], options: options)
        let root = try #require(Self.rect(of: "all", in: svg)), leaf = try #require(Self.rect(of: "b", in: svg))
        #expect(Int(root["y"] ?? "") ?? 0 < Int(leaf["y"] ?? "") ?? 0)
    }

    @Test func labelsAreCutToFit() {
        let svg = FlameGraph.svg([Self.stack("a_function_with_a_very_long_name_indeed", 1), Self.stack("z", 99)], options: FlameGraphOptions())
        // 1% of 1180 px is 11.8 px: room for one character, so no label at all.
        #expect(!svg.contains("\">a_function"))
        let wide = FlameGraph.svg([Self.stack("a_function_with_a_very_long_name_indeed", 5), Self.stack("z", 95)], options: FlameGraphOptions())
        #expect(wide.contains(">a_fun..</text>"), "59 px: room for seven characters, five of them and '..'")
    }

    @Test func emptyInputSaysSo() {
        let svg = FlameGraph.svg([], options: FlameGraphOptions())
        #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n") && svg.contains("no stacks"))
        #expect(FlameGraph.differentialSVG(after: [], before: [Self.stack("a", 1)], options: FlameGraphOptions()).contains("no stacks"))
    }

    /// 100,000 distinct-ish stacks of depth 20 to 60; in release builds this renders in about half a second.
    @Test func largeProfileStaysSmall() {
        let stacks = SyntheticProfile().stacks(100_000)
        let started = ContinuousClock.now
        let svg = FlameGraph.svg(stacks, options: FlameGraphOptions())
        let elapsed = ContinuousClock.now - started
        #expect(svg.utf8.count < 5_000_000, "\(svg.utf8.count) bytes")
        #expect(Self.frameTitles(svg).count > 10_000)
        #expect(elapsed < .seconds(20), "debug build: \(elapsed)")
    }

    @Test func fileSizeLimitDropsTheNarrowestFramesAndSaysSo() {
        var options = FlameGraphOptions()
        options.maxFileSize = 200_000
        let svg = FlameGraph.svg(SyntheticProfile().stacks(5_000), options: options)
        #expect(svg.utf8.count < 200_000, "\(svg.utf8.count) bytes")
        #expect(svg.contains("more frames are too narrow to draw within the file size limit"))
    }
}
