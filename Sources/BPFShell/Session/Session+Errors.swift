import Foundation

/// The one place kernel failures become diagnostics: the backend names the operation,
/// the cause and the verifier's log; Session knows what the user typed.
extension Session {
    /// Runs a backend call, turning its `KernelError` into a diagnostic at `range`.
    func withKernelErrors<T>(at range: SourceRange?, probeName: String? = nil, points: [AttachPoint] = [],
                             _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as KernelError {
            throw diagnostic(for: error, at: range, probeName: probeName, points: points)
        }
    }

    /// Any error from a backend call, as a diagnostic (others pass through unchanged).
    func userFacing(_ error: Error, at range: SourceRange?) -> Error {
        guard let kernel = error as? KernelError else { return error }
        return diagnostic(for: kernel, at: range, probeName: nil)
    }

    func diagnostic(for error: KernelError, at range: SourceRange?, probeName: String? = nil,
                    points: [AttachPoint] = []) -> Diagnostic {
        if let log = error.verifierLog {
            return verifierDiagnostic(log: log, probeName: probeName ?? error.subject, fallback: range, points: points)
        }
        var hints = error.hint.map { [$0] } ?? []
        let libbpfLines = error.libbpfLog.split(separator: "\n").map(String.init)
            .filter { !$0.isEmpty && !$0.contains("BEGIN PROG LOAD LOG") }
        if let split = libbpfLines.first(where: { $0.contains(".cold.") && $0.contains("is static and not supported") }) {
            // clang outlines code it proves can only run into undefined behaviour into a
            // function of its own ("bpfsh_probe.cold.1"), which a BPF program cannot call.
            return Diagnostic(.error, "clang split the probe's code into a separate 'cold' function, which BPF cannot load",
                              at: range, hints: ["the body has code clang proves is undefined behaviour (a write through a NULL pointer, "
                                                 + "a read past an array, a shift by too much): fix it, or guard it with a check",
                                                 "libbpf: " + split.replacingOccurrences(of: "libbpf: ", with: "")])
        }
        if error.summary == nil, let last = libbpfLines.last {
            hints.append("libbpf: " + last.replacingOccurrences(of: "libbpf: ", with: ""))
        }
        var diagnostic = Diagnostic(.error, error.description, at: range, hints: hints)
        // BPFSH_LIBBPF_LOG=1 shows everything libbpf said, for reports and debugging.
        if ProcessInfo.processInfo.environment["BPFSH_LIBBPF_LOG"] == "1" { diagnostic.details = libbpfLines }
        return diagnostic
    }

    /// A verifier rejection in terms of what the user typed: its last complaint, on the
    /// user's line when BTF line info names it; the whole log stays for `show log`.
    private func verifierDiagnostic(log: String, probeName: String, fallback: SourceRange?, points: [AttachPoint]) -> Diagnostic {
        lastVerifierLog = log
        let report = VerifierReport(log: log)
        var diagnostic = Diagnostic(.error, "the verifier rejected probe '\(probeName)': \(report.message)", at: fallback)
        if let file = report.file, let cell = cell(forFile: file, current: cellCount), let line = report.line,
           let text = cells[cell]?.text {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if line >= 1, line <= lines.count {
                let content = lines[line - 1]
                let indent = content.prefix { $0 == " " || $0 == "\t" }.count
                // Point at the statement the verifier names when it is on that line.
                var column = indent + 1, length = max(1, content.count - indent)
                // A one-line probe: point at the body, not at the command word.
                if content.hasPrefix("probe"), let brace = content.firstIndex(of: "{") {
                    column = content.distance(from: content.startIndex, to: brace) + 3
                    length = max(1, content.count - column)
                }
                if let source = report.sourceLine, let found = content.range(of: source) {
                    column = content.distance(from: content.startIndex, to: found.lowerBound) + 1
                    length = source.count
                }
                diagnostic.range = SourceRange(line: line, column: column, length: length)
                diagnostic.cell = cell
            }
        }
        if let instruction = report.instruction { diagnostic.details.append("at instruction: \(instruction)") }
        if report.message.contains("invalid mem access 'scalar'"), !report.isNullDereference, points.contains(where: \.readsUserMemory) {
            diagnostic.hints.append("a pointer the verifier cannot check is dereferenced: a user-space one (a syscall argument, "
                                    + "a uprobe's argument) is read with str(p) or bpf_probe_read_user(&v, sizeof(v), p); a kernel one "
                                    + "(task->real_parent) with BPF_CORE_READ(task, real_parent, tgid)")
        } else if let explanation = report.explanation {
            diagnostic.hints.append(explanation)
        }
        diagnostic.hints.append("\(report.omittedLines) more lines of verifier log: 'show log' prints them")
        return diagnostic
    }
}
