import Foundation
import Testing
@testable import BPFShell

/// Notebooks of a fixed session against golden files (Markdown and .ipynb): prose cells
/// from `#` comments, fences that outlast backticks in output, a failed cell, lookup
/// cells left out, a flame graph linked. The .ipynb is also validated by nbformat's
/// JSON schema (Debian's python3-nbformat). BPFSH_UPDATE_GOLDEN=1 rewrites the files.
struct NotebookGoldenTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/notebooks")

    static let history: [Session.HistoryEntry] = {
        var entries = [
            Session.HistoryEntry(number: 0, text: "Count the processes that call getppid\n\nOne map, one probe.", succeeded: true,
                                 isRecorded: false, output: "", isProse: true),
            Session.HistoryEntry(number: 1, text: "map calls count<comm_t>", succeeded: true, isRecorded: true,
                                 output: "map calls: count<comm_t> (percpu_hash, 10240 entries)\n"),
            Session.HistoryEntry(number: 2, text: "probe tracepoint:syscalls:sys_enter_getppid {\n  count(calls, comm());\n}",
                                 succeeded: true, isRecorded: true, output: "p1 attached: tracepoint:syscalls:sys_enter_getppid (1 program)\n"),
            Session.HistoryEntry(number: 3, text: "help run", succeeded: true, isRecorded: false, output: "run [DURATION]\n"),
            Session.HistoryEntry(number: 4, text: "run 1s", succeeded: true, isRecorded: true,
                                 output: "python3 says ```hi```\nran 1.0 s: events p1 25\n"),
            Session.HistoryEntry(number: 5, text: "print cals", succeeded: false, isRecorded: true,
                                 output: "cell 5, line 1, column 7-10: error: unknown map 'cals'\n    print cals\n          ~~~~\nhint: did you mean 'calls'?\n"),
            Session.HistoryEntry(number: 6, text: "print calls", succeeded: true, isRecorded: true, output: "COMM     COUNT\npython3  25\n"),
        ]
        entries[6].files = [Session.WrittenFile(path: "/tmp/notebook-golden/cpu.svg", kind: .svg)]
        return entries
    }()

    /// The provenance line names the machine and the hour: it is compared by shape.
    static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: #"recorded [^*"]*, bpfsh [0-9.]+"#, with: "recorded DATE on MACHINE, bpfsh VERSION",
                                  options: .regularExpression)
    }

    static func compare(_ produced: String, golden name: String) throws {
        let path = folder.appendingPathComponent(name).path
        let text = normalized(produced)
        if ProcessInfo.processInfo.environment["BPFSH_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == golden, "\(name) differs from its golden file (BPFSH_UPDATE_GOLDEN=1 rewrites it):\n\(text)")
    }

    @Test func markdownMatchesItsGoldenFile() throws {
        try Self.compare(Notebook.markdown(Self.history, title: "bpfsh: golden"), golden: "golden.md")
    }

    @Test func ipynbMatchesItsGoldenFileAndTheSchema() throws {
        let notebook = Notebook.ipynb(Self.history, title: "bpfsh: golden")
        try Self.compare(notebook, golden: "golden.ipynb")
        let folder = try makeTemporaryDirectory(prefix: "bpfsh-golden")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try notebook.write(toFile: folder + "/golden.ipynb", atomically: true, encoding: .utf8)
        let check = try TimedProcess.run("/usr/bin/python3", ["-c", """
        import nbformat, sys
        nb = nbformat.read(sys.argv[1], as_version=4)
        nbformat.validate(nb)
        print(" ".join(cell.cell_type for cell in nb.cells))
        """, folder + "/golden.ipynb"], timeout: 60)
        #expect(check.status == 0, "nbformat refused it: \(check.output)")
        #expect(check.output.hasPrefix("markdown markdown code code code code code"), "\(check.output)")
    }

    /// A script's comment lines between commands become prose; `#!`, the header `save`
    /// writes and comments inside a block do not.
    @Test func scriptCommentsBecomeProse() {
        let session = Session(output: CapturedOutput(), backend: FakeBackend())
        defer { session.close() }
        ScriptRunner.run("""
        #!/usr/bin/env bpfsh
        # bpfsh session script: replay it with 'bpfsh FILE' or 'load FILE'
        # Counting calls
        #
        # by process
        map calls count<comm_t>
        c {
        #define NOT_PROSE 1
        }
        # Then print
        echo   done
        """, in: session, sourceName: "test.bpfsh")
        let prose = session.history.filter(\.isProse).map(\.text)
        #expect(prose == ["Counting calls\n\nby process", "Then print"], "\(session.history.map(\.text))")
        #expect(session.history.last?.output == "done\n")
        #expect(!session.script(includeFailures: true).contains("Counting"), "save keeps commands only")
    }
}
