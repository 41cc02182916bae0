import Foundation
import Testing
@testable import BPFShell

/// The tutorial: every lesson in sessions/tutorial/ parses, docs/TUTORIAL.md is its
/// rendering, and each lesson replays against the kernel with its workloads, every
/// step's output checked (a ✗ fails the test).
@Suite(.serialized)
struct TutorialTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("sessions/tutorial").path

    static func lessons() throws -> [TutorialLesson] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".bpfsh") && ($0.first?.isNumber ?? false) }.sorted()
        return try files.enumerated().map { index, file in
            try TutorialLesson.parse(String(contentsOfFile: directory + "/" + file, encoding: .utf8), number: index + 1,
                                     path: directory + "/" + file)
        }
    }

    static let lessonNumbers: [Int] = ((try? lessons()) ?? []).map(\.number)

    @Test func twelveLessonsParse() throws {
        let lessons = try Self.lessons()
        #expect(lessons.count >= 12, "\(lessons.map(\.title))")
        #expect(lessons.allSatisfy { !$0.steps.isEmpty && !$0.introduction.isEmpty })
        #expect(lessons.flatMap(\.steps).contains { !$0.expectations.isEmpty })
    }

    /// docs/TUTORIAL.md is generated from the lessons; BPFSH_UPDATE_DOCS=1 rewrites it.
    @Test func markdownMatchesTheLessons() throws {
        let expected = TutorialLibrary.markdown(try Self.lessons())
        let path = Self.root.appendingPathComponent("docs/TUTORIAL.md").path
        if ProcessInfo.processInfo.environment["BPFSH_UPDATE_DOCS"] == "1" {
            try expected.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let actual = try String(contentsOfFile: path, encoding: .utf8)
        #expect(actual == expected, "docs/TUTORIAL.md is stale: run the tests with BPFSH_UPDATE_DOCS=1")
    }

    @Test(.needsBPF, arguments: lessonNumbers)
    func lessonReplays(_ number: Int) throws {
        try Capabilities.requireBPF()
        let lesson = try #require(try Self.lessons().first { $0.number == number })
        let state = try makeTemporaryDirectory(prefix: "bpfsh-tutorial-state")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let leaks = LeakCheck()
        let shell = try ShellProcess(environment: ["BPFSH_TUTORIAL": Self.directory, "XDG_STATE_HOME": state,
                                                   "BPFSH_SNIPPETS": Self.root.appendingPathComponent("bpf-snippets").path],
                                     timeout: 300)
        shell.send("tutorial \(number)")
        for step in 1...lesson.steps.count {
            #expect(shell.waitForOutput("step \(step) of \(lesson.steps.count)", timeout: 60), "lesson \(number) stopped before step \(step):\n\(shell.output.suffix(3000))\n\(shell.errors.suffix(2000))")
            shell.send("")
        }
        #expect(shell.waitForOutput("lesson \(number) complete", timeout: 120), "\(shell.output.suffix(3000))\n\(shell.errors.suffix(2000))")
        shell.send("quit")
        _ = shell.finish(timeout: 60)
        let failures = shell.output.split(separator: "\n").filter { $0.hasPrefix("✗") }
        #expect(failures.isEmpty, "lesson \(number): \(failures)\n\(shell.output.suffix(3000))")
        #expect(leaks.leftovers(of: shell, waiting: 30).isEmpty)
    }
}
