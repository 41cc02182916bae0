import Foundation
import Testing
@testable import BPFShell

@Suite struct ReplTests {
    @Test func historyKeepsTheLatestOfEachCommand() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-history-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "_HiStOrY_V2_\nhelp\nprobes\nhelp\nmaps\nprobes\n".write(toFile: path, atomically: true, encoding: .utf8)
        EditLineReader.removeDuplicates(inHistoryFile: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "_HiStOrY_V2_\nhelp\nmaps\nprobes\n")
    }

    @Test func scriptArgumentsSubstitute() {
        #expect(ScriptRunner.substitute("if (pid() == $1) count(c, $2); // $3 $0", arguments: ["42", "7"])
                == "if (pid() == 42) count(c, 7); // $3 $0")
    }

    @Test func notebookFencesOutlastBackticks() {
        let entry = Session.HistoryEntry(number: 1, text: "print x", succeeded: true, isRecorded: true,
                                         output: "a ``` b\n")
        let markdown = Notebook.markdown([entry], title: "t")
        #expect(markdown.contains("````text\na ``` b\n````"))
    }

    @Test func ringBufferSizesRoundToPowersOfTwo() {
        #expect(SetCommand.bytes("16M") == 16 << 20)
        #expect(SetCommand.bytes("100K") == 128 << 10)
        #expect(SetCommand.bytes("lots") == nil)
    }
}
