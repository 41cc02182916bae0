import Foundation

/// One lesson of the tutorial, read from sessions/tutorial/NN-slug.bpfsh: a bpfsh script
/// whose comments carry the prose. `# ` lines before a command lead into it; `#>` lines
/// after it belong to it (setup, workload, expect, expect-error, explain).
struct TutorialLesson: Equatable {
    struct Step: Equatable {
        /// Prose shown before the command is offered.
        var leadIn: [String] = []
        /// The command as the student types it (one line, or a block over several).
        var command: String
        /// Shell commands run before the command (compiling a program to probe).
        var setup: [String] = []
        /// Shell commands started in the background while the command runs.
        var workload: [String] = []
        /// Texts the command's output must contain.
        var expectations: [String] = []
        /// The step is meant to fail (a verifier refusal): texts its error must contain.
        var expectedErrors: [String] = []
        /// Prose shown after the output.
        var explanation: [String] = []
    }

    var number: Int
    var title: String
    var introduction: [String]
    var steps: [Step]
    var path: String

    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ text: String, number: Int, path: String) throws -> TutorialLesson {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let first = lines.first, first.hasPrefix("# lesson: ") else {
            throw FormatError(description: "\(path): the first line must be '# lesson: TITLE'")
        }
        lines.removeFirst()
        var introduction: [String] = []
        var steps: [Step] = []
        var prose: [String] = []
        var gatherer = CommandGatherer()
        var pending: [String] = [] // lines of a command being gathered
        var lineNumber = 1
        for line in lines {
            lineNumber += 1
            if pending.isEmpty, line.hasPrefix("#>") {
                guard !steps.isEmpty else { throw FormatError(description: "\(path):\(lineNumber): a '#>' line before any command") }
                try attach(String(line.dropFirst(2)).trimmingCharacters(in: .whitespaces), to: &steps[steps.count - 1],
                           at: "\(path):\(lineNumber)")
                continue
            }
            if pending.isEmpty, line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty {
                prose.append(line.hasPrefix("# ") ? String(line.dropFirst(2)) : (line.hasPrefix("#") ? String(line.dropFirst()) : ""))
                continue
            }
            pending.append(line)
            if let chunk = gatherer.add(line, lineNumber: lineNumber) {
                guard case .complete = chunk.parsed else {
                    throw FormatError(description: "\(path):\(lineNumber): the command does not parse: \(pending.joined(separator: "\n"))")
                }
                if steps.isEmpty, introduction.isEmpty {
                    // The prose before the first command: the introduction, then the first lead-in
                    // (separated by a blank comment line).
                    let split = prose.lastIndex(of: "") ?? prose.startIndex
                    introduction = Array(prose[..<split])
                    prose = Array(prose[split...])
                }
                steps.append(Step(leadIn: trimmed(prose), command: pending.joined(separator: "\n")))
                prose = []
                pending = []
            }
        }
        guard pending.isEmpty else { throw FormatError(description: "\(path): the last command is not closed") }
        guard !steps.isEmpty else { throw FormatError(description: "\(path): a lesson needs at least one command") }
        return TutorialLesson(number: number, title: String(first.dropFirst("# lesson: ".count)),
                              introduction: trimmed(introduction), steps: steps, path: path)
    }

    private static func attach(_ directive: String, to step: inout Step, at place: String) throws {
        let parts = directive.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { throw FormatError(description: "\(place): a '#>' line is '#> KIND: TEXT'") }
        switch parts[0] {
        case "setup": step.setup.append(parts[1])
        case "workload": step.workload.append(parts[1])
        case "expect": step.expectations.append(parts[1])
        case "expect-error": step.expectedErrors.append(parts[1])
        case "explain": step.explanation.append(parts[1])
        default: throw FormatError(description: "\(place): unknown '#> \(parts[0])' (setup, workload, expect, expect-error, explain)")
        }
    }

    private static func trimmed(_ lines: [String]) -> [String] {
        Array(lines.drop { $0.isEmpty }.reversed().drop { $0.isEmpty }.reversed())
    }

    /// The lesson as Markdown, for docs/TUTORIAL.md.
    var markdown: String {
        var text = "<a id=\"lesson-\(number)\"></a>\n\n## Lesson \(number): \(title)\n\n"
        if !introduction.isEmpty { text += introduction.joined(separator: "\n") + "\n\n" }
        for step in steps {
            if !step.leadIn.isEmpty { text += step.leadIn.joined(separator: "\n") + "\n\n" }
            let fence = Notebook.fence(for: step.command)
            text += "\(fence)bpfsh\n\(step.command)\n\(fence)\n\n"
            if !step.explanation.isEmpty { text += step.explanation.map { "> " + $0 }.joined(separator: "\n") + "\n\n" }
        }
        return text
    }
}

/// The lessons in sessions/tutorial/ (found like snippets: $BPFSH_TUTORIAL, next to the
/// binary's checkout, or installed).
enum TutorialLibrary {
    static func directories() -> [String] {
        SessionFile.bundledDirectories(environment: "BPFSH_TUTORIAL", checkoutPath: "sessions/tutorial",
                                       installed: "/usr/local/share/bpfsh/tutorial")
    }

    /// Lesson files NN-slug.bpfsh in order, from the first directory that has any.
    static func lessons() throws -> [TutorialLesson] {
        for directory in directories() {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasSuffix(".bpfsh") && ($0.first?.isNumber ?? false) }.sorted()
            guard !files.isEmpty else { continue }
            return try files.enumerated().map { index, file in
                let path = directory + "/" + file
                let text = try String(contentsOfFile: path, encoding: .utf8)
                return try TutorialLesson.parse(text, number: index + 1, path: path)
            }
        }
        return []
    }

    /// The whole tutorial as Markdown (docs/TUTORIAL.md is this, checked by a test).
    static func markdown(_ lessons: [TutorialLesson]) -> String {
        "# The bpfsh tutorial\n\nEvery lesson runs live: type `tutorial N` at the bpfsh prompt, then press Enter to have each step typed for you (or type it yourself). This file is generated from `sessions/tutorial/`.\n\n"
            + lessons.map { "- [Lesson \($0.number): \($0.title)](#lesson-\($0.number))" }.joined(separator: "\n") + "\n\n"
            + lessons.map(\.markdown).joined()
    }
}
