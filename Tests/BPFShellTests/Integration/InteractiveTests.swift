import Foundation
import Testing

/// The interactive shell through a real terminal (tmux): editing, completion,
/// multi-line blocks, Ctrl-C and streaming that leaves typed input intact.
@Suite(.serialized, .needsBPF)
struct InteractiveTests {
    let dataHome = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-tty-\(getpid())").path

    init() throws {
        try FileManager.default.createDirectory(atPath: dataHome, withIntermediateDirectories: true)
    }

    func requireTmux() throws {
        try Capabilities.requireBPF()
        try #require(TmuxDriver.isAvailable, "tmux is needed for terminal tests (make test installs it)")
    }

    @Test func completionAndMultiLineBlocks() throws {
        try requireTmux()
        let leaks = LeakCheck(mapNames: ["ops"])
        let tty = try TmuxDriver(dataHome: dataHome)
        #expect(tty.waitFor("[1]>"), "the numbered prompt appears:\n\(tty.screen())")
        try tty.line("map ops count<u32>")
        #expect(tty.waitFor("map ops: count<u32>"))
        // Command, tracepoint category and event complete with Tab.
        try tty.type("pro")
        try tty.press("Tab")
        try tty.type(" tracepoint:sysc")
        try tty.press("Tab")
        usleep(200_000)
        try tty.type("sys_enter_getppi")
        try tty.press("Tab")
        usleep(200_000)
        #expect(tty.lastLine.hasSuffix("[2]> probe tracepoint:syscalls:sys_enter_getppid"), "\(tty.screen())")
        // A block continues over lines with a continuation prompt.
        try tty.line(" {")
        #expect(tty.waitFor("...>"))
        try tty.line("    if (pid() == \(getpid())) count(ops, 1);")
        try tty.line("}")
        #expect(tty.waitFor("p1 attached: tracepoint:syscalls:sys_enter_getppid"), "\(tty.screen())")
        for _ in 0..<5 { _ = getppid() }
        // Map names complete after print.
        try tty.type("print o")
        try tty.press("Tab")
        try tty.press("Enter")
        #expect(tty.waitForLine { $0.split(separator: " ").map(String.init) == ["1", "5"] }, "\(tty.screen())")
        try tty.line("quit")
        usleep(300_000)
        #expect(leaks.leftovers().isEmpty)
    }

    /// A block typed over lines: Tab on its later lines knows the probe point, an error
    /// in it says which cell and line, and Up brings the whole block back to edit and run.
    @Test func blocksAreCellsAndOneHistoryEntry() throws {
        try requireTmux()
        let leaks = LeakCheck(mapNames: ["calls"])
        let tty = try TmuxDriver(dataHome: dataHome + "-blocks")
        #expect(tty.waitFor("[1]>"))
        try tty.line("map calls count<comm_t>")
        #expect(tty.waitFor("map calls: count<comm_t>"))
        try tty.line("echo   one;   echo two")
        #expect(tty.waitFor("[3]>"), "two commands typed together are one cell:\n\(tty.screen())")
        try tty.line("probe tracepoint:syscalls:sys_enter_openat {")
        try tty.type("if (args->fi")
        try tty.press("Tab")
        usleep(300_000)
        #expect(tty.lastLine.hasSuffix("...> if (args->filename"), "args-> completes on a later line:\n\(tty.screen())")
        try tty.line(") count(cals, comm());")
        try tty.line("}")
        #expect(tty.waitFor("cell 3, line 2, column 27-30: error: unknown map 'cals'"), "\(tty.screen())")
        // Up: the whole block, as one entry, and Enter runs it as one command again.
        try tty.press("Up")
        usleep(300_000)
        #expect(tty.screen().hasSuffix("[4]> probe tracepoint:syscalls:sys_enter_openat {\nif (args->filename) count(cals, comm());\n}"),
                "\(tty.screen())")
        try tty.press("Enter")
        #expect(tty.waitFor("cell 4, line 2, column 27-30: error: unknown map 'cals'"), "\(tty.screen())")
        #expect(tty.waitFor("[5]>"))
        try tty.line("quit")
        usleep(300_000)
        #expect(leaks.leftovers().isEmpty)
    }

    @Test func ctrlCAbandonsOnlyTheBlock() throws {
        try requireTmux()
        let tty = try TmuxDriver(dataHome: dataHome)
        #expect(tty.waitFor("[1]>"))
        try tty.line("map kept hist")
        #expect(tty.waitFor("map kept: hist"))
        try tty.line("probe tracepoint:syscalls:sys_enter_getppid {")
        try tty.type("hist(kept, 1)")
        try tty.press("C-c")
        #expect(tty.waitFor("(block abandoned)"), "\(tty.screen())")
        try tty.line("maps")
        #expect(tty.waitFor("kept  hist"), "the session keeps its map:\n\(tty.screen())")
        #expect(!tty.screen().contains("attached"), "the abandoned block never ran")
        try tty.line("quit")
    }

    @Test func streamedLinesKeepTypedInput() throws {
        try requireTmux()
        let tty = try TmuxDriver(dataHome: dataHome)
        #expect(tty.waitFor("[1]>"))
        try tty.line("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == \(getpid())) print(\"streamed %d\\n\", pid()); }")
        #expect(tty.waitFor("p1 attached"), "\(tty.screen())")
        try tty.type("prob")
        usleep(200_000)
        for _ in 0..<3 { _ = getppid() }
        #expect(tty.waitFor("streamed \(getpid())", occurrences: 3), "events stream while the prompt waits:\n\(tty.screen())")
        usleep(200_000)
        #expect(tty.lastLine.hasSuffix("> prob"), "the half-typed line is redrawn after the events:\n\(tty.screen())")
        try tty.type("es")
        try tty.press("Enter")
        #expect(tty.waitFor("ID  NAME"), "the edited line ran as typed:\n\(tty.screen())")
        try tty.line("quit")
    }

    @Test func historyPersistsAcrossSessions() throws {
        try requireTmux()
        do {
            let first = try TmuxDriver(dataHome: dataHome)
            #expect(first.waitFor("[1]>"))
            try first.line("help run")
            #expect(first.waitFor("run [DURATION]"))
            try first.line("quit")
            usleep(300_000)
        }
        let second = try TmuxDriver(dataHome: dataHome)
        #expect(second.waitFor("[1]>"))
        try second.press("Up")
        usleep(200_000)
        #expect(second.lastLine.hasSuffix("[1]> help run") || second.lastLine.hasSuffix("[1]> quit"), "\(second.screen())")
        try second.press("Up")
        usleep(200_000)
        #expect(second.lastLine.hasSuffix("[1]> help run"), "\(second.screen())")
        try second.press("C-u")
        try second.line("quit")
    }

    @Test func ctrlRSearchesHistory() throws {
        try requireTmux()
        let home = dataHome + "-search"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        do {
            let first = try TmuxDriver(dataHome: home)
            #expect(first.waitFor("[1]>"))
            try first.line("help clear")
            try first.line("help maps")
            #expect(first.waitFor("usage", occurrences: 0))
            try first.line("quit")
            usleep(300_000)
        }
        let second = try TmuxDriver(dataHome: home)
        #expect(second.waitFor("[1]>"))
        try second.press("C-r")
        try second.type("help c")
        usleep(200_000)
        try second.press("Enter")
        #expect(second.waitFor("clear MAP | clear all"), "Ctrl-R found the earlier command:\n\(second.screen())")
        try second.line("quit")
    }

    /// A lesson at a real terminal: Enter types the step on offer, `tutorial back`
    /// re-offers the previous one, progress survives a restart, Tab completes args->.
    @Test func tutorialNavigationAtATerminal() throws {
        try requireTmux()
        let lessons = try makeTemporaryDirectory(prefix: "bpfsh-lessons")
        let state = try makeTemporaryDirectory(prefix: "bpfsh-lesson-state")
        defer {
            try? FileManager.default.removeItem(atPath: lessons)
            try? FileManager.default.removeItem(atPath: state)
        }
        try """
        # lesson: Counting opens
        # A first probe.
        #
        # A map first.
        map tty_opens count<comm_t>
        #> expect: map tty_opens
        #
        # Then the probe.
        probe tracepoint:syscalls:sys_enter_openat { count(tty_opens, comm()); }
        #> expect: attached
        #
        print tty_opens
        """.write(toFile: lessons + "/01-opens.bpfsh", atomically: true, encoding: .utf8)
        let environment = ["BPFSH_TUTORIAL": lessons, "XDG_STATE_HOME": state]
        let tty = try TmuxDriver(dataHome: dataHome, extraEnvironment: environment)
        #expect(tty.waitFor("[1]>"), "\(tty.screen())")
        try tty.line("tutorial 1")
        #expect(tty.waitFor("step 1 of 3"), "\(tty.screen())")
        try tty.press("Enter")
        #expect(tty.waitFor("✓ the output shows map tty_opens"), "\(tty.screen())")
        #expect(tty.waitFor("step 2 of 3"), "\(tty.screen())")
        try tty.line("tutorial back")
        #expect(tty.waitFor("step 1 of 3", occurrences: 2), "\(tty.screen())")
        try tty.line("tutorial next")
        #expect(tty.waitFor("step 2 of 3", occurrences: 2), "\(tty.screen())")
        // Typing the step oneself counts too; Tab completes the tracepoint's fields on the way.
        try tty.type("probe tracepoint:syscalls:sys_enter_openat { u32 f = args->fla")
        try tty.press("Tab")
        usleep(200_000)
        #expect(tty.lastLine.hasSuffix("args->flags"), "\(tty.screen())")
        try tty.press("C-u")
        try tty.line("probe tracepoint:syscalls:sys_enter_openat { count(tty_opens, comm()); }")
        #expect(tty.waitFor("step 3 of 3"), "\(tty.screen())")
        try tty.line("quit")
        usleep(500_000)
        // The next start remembers the lesson was left at step 3.
        let again = try TmuxDriver(dataHome: dataHome, extraEnvironment: environment)
        #expect(again.waitFor("[1]>"), "\(again.screen())")
        try again.line("tutorial")
        #expect(again.waitFor("…  1  Counting opens"), "\(again.screen())")
        try again.line("tutorial 1")
        #expect(again.waitFor("step 3 of 3"), "\(again.screen())")
        try again.line("quit")
    }
}
