import Foundation

/// Plays a lesson at the prompt: offers each step (its lead-in and command), runs it when
/// the student types it or presses Enter, checks its output, explains it, moves on.
final class TutorialPlayer {
    let lesson: TutorialLesson
    private(set) var stepIndex: Int
    private var workloads: [Process] = []

    init(lesson: TutorialLesson, step: Int = 0) {
        self.lesson = lesson
        stepIndex = min(max(step, 0), lesson.steps.count)
    }

    var currentStep: TutorialLesson.Step? { stepIndex < lesson.steps.count ? lesson.steps[stepIndex] : nil }
    var isFinished: Bool { currentStep == nil }

    /// The command Enter types for the student.
    var offeredCommand: String? { currentStep?.command }

    /// The lead-in and the command of the current step.
    func offer() -> [String] {
        guard let step = currentStep else { return [] }
        var lines = ["", "— lesson \(lesson.number), step \(stepIndex + 1) of \(lesson.steps.count) —"]
        lines += step.leadIn
        lines.append("  type it, or press Enter to have it typed:")
        lines += step.command.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        return lines
    }

    func introduction() -> [String] {
        ["lesson \(lesson.number): \(lesson.title)", ""] + lesson.introduction
    }

    /// Whether a command the student ran is the step on offer (spacing aside).
    func isCurrentStep(_ text: String) -> Bool {
        guard let step = currentStep else { return false }
        return Self.normalized(step.command) == Self.normalized(text)
    }

    private static func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
    }

    /// Before the step's command runs: its setup, then its workload in the background.
    func prepare() -> [String] {
        guard let step = currentStep else { return [] }
        var problems: [String] = []
        for command in step.setup {
            let result = ShellRunner.run(command, timeout: 60)
            if result != 0 { problems.append("setup failed (exit \(result)): \(command)") }
        }
        workloads = step.workload.compactMap { ShellRunner.start($0) }
        return problems
    }

    /// Waits (bounded) for the step's background workload to end.
    func awaitWorkloads() {
        for process in workloads { ShellRunner.wait(process, timeout: 30) }
        workloads = []
    }

    /// After the step's command ran: checks the output, explains, and moves to the next
    /// step. Returns the lines to show.
    func finish(succeeded: Bool, output: String) -> (lines: [String], passed: Bool) {
        awaitWorkloads()
        guard let step = currentStep else { return ([], true) }
        var lines: [String] = []
        var passed = true
        let wanted = step.expectedErrors.isEmpty ? step.expectations : step.expectedErrors
        if !step.expectedErrors.isEmpty, succeeded {
            lines.append("✗ this step was meant to fail (see the lesson), and it did not")
            passed = false
        } else if step.expectedErrors.isEmpty, !succeeded {
            lines.append("✗ the step failed: read the error above, then type it again or 'tutorial next' to go on")
            passed = false
        }
        for text in wanted {
            if output.contains(text) {
                lines.append("✓ the output shows \(text)")
            } else {
                lines.append("✗ expected to see \(text) in the output")
                passed = false
            }
        }
        lines += step.explanation
        if passed { stepIndex += 1 }
        return (lines, passed)
    }

    /// `tutorial next` / `tutorial back`.
    func move(by offset: Int) {
        stepIndex = min(max(stepIndex + offset, 0), lesson.steps.count)
    }

    func stop() {
        for process in workloads where process.isRunning { process.terminate() }
        workloads = []
    }
}

/// Lessons' setup and workload commands: `/bin/sh -c`, bounded in time, output discarded.
enum ShellRunner {
    static func start(_ command: String) -> Process? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return (try? process.run()) == nil ? nil : process
    }

    /// Runs to completion (killed after `timeout`); the exit status, or -1.
    static func run(_ command: String, timeout: TimeInterval) -> Int32 {
        guard let process = start(command) else { return -1 }
        wait(process, timeout: timeout)
        return process.isRunning ? -1 : process.terminationStatus
    }

    static func wait(_ process: Process, timeout: TimeInterval) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            usleep(100_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }
}

/// Where the student got to: completed lessons and the step on offer, in
/// $XDG_STATE_HOME/bpfsh/tutorial (~/.local/state/bpfsh/tutorial).
struct TutorialProgress {
    var completed: Set<Int> = []
    var lesson: Int?
    var step = 0

    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return base + "/bpfsh/tutorial"
    }

    static func load() -> TutorialProgress {
        var progress = TutorialProgress()
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return progress }
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, words[0] == "completed", let number = Int(words[1]) { progress.completed.insert(number) }
            if words.count == 3, words[0] == "at", let number = Int(words[1]), let step = Int(words[2]) {
                progress.lesson = number
                progress.step = step
            }
        }
        return progress
    }

    func save() {
        var lines = completed.sorted().map { "completed \($0)" }
        if let lesson { lines.append("at \(lesson) \(step)") }
        let url = URL(fileURLWithPath: Self.path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        FileManager.default.createFile(atPath: url.path, contents: Data((lines.joined(separator: "\n") + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
    }
}
