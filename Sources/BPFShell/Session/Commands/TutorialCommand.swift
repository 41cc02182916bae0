import Foundation

/// `tutorial [N | next | back | stop]`: lessons that run live, step by step.
struct TutorialCommand: ShellCommand {
    static let name = "tutorial"
    static let summary = "learn BPF tracing by doing: 'tutorial' lists the lessons, 'tutorial N' starts one (Enter types each step), 'tutorial next'/'back' move, 'tutorial stop' leaves"
    static let usage = "tutorial [N | next | back | stop]"
    static let example = "tutorial 1"
    static let isRecorded = false

    let argument: Token?

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...1, usage: Self.usage)
        argument = syntax.arguments.first
    }

    func execute(in session: Session, cell: Int) throws {
        let lessons: [TutorialLesson]
        do {
            lessons = try TutorialLibrary.lessons()
        } catch {
            throw Diagnostic.error("a lesson file is malformed: \(error)", at: argument?.range)
        }
        guard !lessons.isEmpty else {
            throw Diagnostic.error("no lessons found", at: argument?.range,
                                   hint: "they live in sessions/tutorial/ next to bpfsh (or set BPFSH_TUTORIAL to their folder)")
        }
        var progress = TutorialProgress.load()
        switch argument?.text {
        case nil:
            let lines = lessons.map { lesson -> String in
                let mark = progress.completed.contains(lesson.number) ? "✓" : (progress.lesson == lesson.number ? "…" : " ")
                return "\(mark) \(String(lesson.number).leftPadded(to: 2))  \(lesson.title)  (\(lesson.steps.count) steps)"
            }
            let next = progress.lesson ?? ((1...lessons.count).first { !progress.completed.contains($0) } ?? 1)
            session.showText((["lessons (✓ done, … started):"] + lines + ["", "start one with 'tutorial \(next)'"]).joined(separator: "\n"))
        case "next", "back":
            guard let player = session.tutorial else {
                throw Diagnostic.error("no lesson is running", at: argument?.range, hint: "start one with 'tutorial 1'")
            }
            player.move(by: argument?.text == "next" ? 1 : -1)
            session.showTutorialStep(player, progress: &progress)
        case "stop":
            session.tutorial?.stop()
            session.tutorial = nil
            session.say("tutorial stopped: 'tutorial' shows where you were")
        case let text?:
            guard let number = Int(text), let lesson = lessons.first(where: { $0.number == number }) else {
                throw Diagnostic.error("there is no lesson '\(text)'", at: argument?.range,
                                       hint: "lessons 1 to \(lessons.count); 'tutorial' lists them")
            }
            session.tutorial?.stop()
            let player = TutorialPlayer(lesson: lesson, step: progress.lesson == number && !progress.completed.contains(number) ? progress.step : 0)
            session.tutorial = player
            session.showText(player.introduction().joined(separator: "\n"))
            session.showTutorialStep(player, progress: &progress)
        }
    }
}

extension Session {
    /// Offers the player's step (or closes the lesson when none is left) and remembers where.
    func showTutorialStep(_ player: TutorialPlayer, progress: inout TutorialProgress) {
        if player.isFinished {
            progress.completed.insert(player.lesson.number)
            progress.lesson = nil
            progress.step = 0
            progress.save()
            tutorial = nil
            showText("\nlesson \(player.lesson.number) complete ✓ — 'tutorial \(player.lesson.number + 1)' goes on, 'tutorial' lists the lessons")
            return
        }
        progress.lesson = player.lesson.number
        progress.step = player.stepIndex
        progress.save()
        showText(player.offer().joined(separator: "\n"))
    }

    /// After a command ran at the prompt: if it was the step on offer, check and go on.
    func tutorialStepRan(succeeded: Bool, output: String) {
        guard let player = tutorial else { return }
        let result = player.finish(succeeded: succeeded, output: output)
        if !result.lines.isEmpty { showText(result.lines.joined(separator: "\n")) }
        var progress = TutorialProgress.load()
        if result.passed { showTutorialStep(player, progress: &progress) }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
