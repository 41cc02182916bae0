import Foundation

extension Session {
    /// Compiles a unit, turning clang's complaints into diagnostics on the user's cells.
    /// Errors clang places in generated code are pinned to `fallback` (the spec or declaration).
    func compile(_ unit: GeneratedUnit, runtime: Runtime, fallback: SourceRange?, what: String) throws -> CompiledObject {
        do {
            let compiled = try runtime.compiler.compile(unit)
            for warning in compiled.warnings where warning.severity == .warning {
                if let diagnostic = diagnostic(for: warning, fallback: fallback, what: what) {
                    report(diagnostic, cell: diagnostic.cell ?? cellCount)
                }
            }
            return compiled
        } catch let failure as CompileFailure {
            var diagnostics = failure.messages.filter { $0.severity == .error }
                .compactMap { diagnostic(for: $0, fallback: fallback, what: what) }
            if diagnostics.isEmpty {
                diagnostics = [Diagnostic(.error, "clang could not compile \(what)", at: fallback,
                                          details: failure.output.split(separator: "\n").prefix(20).map(String.init))]
            }
            throw DiagnosticList(Array(diagnostics.prefix(5)))
        }
    }

    private func diagnostic(for message: ClangMessage, fallback: SourceRange?, what: String) -> Diagnostic? {
        guard let cellNumber = cell(forFile: message.file, current: cellCount), let cell = cells[cellNumber] else {
            var diagnostic = Diagnostic(message.severity, "\(what): \(message.message)", at: fallback)
            diagnostic.hints = [what.hasPrefix("probe")
                ? "the error is in code bpfsh generated for it; 'show NAME c' prints that code"
                : "types a map names must be declared first: built-in (u32, comm_t) or in a c { } block"]
            return diagnostic
        }
        let length = tokenLength(in: cell.text, line: message.line, column: message.column)
        var diagnostic = Diagnostic(message.severity, message.message,
                                    at: SourceRange(line: message.line, column: message.column, length: length))
        diagnostic.cell = cellNumber
        if message.message.hasPrefix("redefinition of") {
            diagnostic.hints = ["the kernel's types (vmlinux.h) are in scope in every probe: pick another name"]
        }
        if message.message.contains("call to undeclared function") {
            diagnostic.hints = ["built-ins: pid() tid() uid() cpu() nsecs() comm() count sum set get del hist hist_by lhist print"]
        }
        return diagnostic
    }

    /// The length of the identifier or number at a position, for the `~~~` underline.
    private func tokenLength(in text: String, line: Int, column: Int) -> Int {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return 1 }
        let bytes = Array(lines[line - 1].utf8)
        var index = column - 1, length = 0
        while index >= 0, index < bytes.count, BodyScanner.isIdentifierStart(bytes[index]) || (bytes[index] >= 48 && bytes[index] <= 57) {
            index += 1
            length += 1
        }
        return max(length, 1)
    }

    /// Binds the session's internal maps and every named session map into an object.
    func bindMaps(of object: BPFObject) throws {
        let channel = try eventChannel()
        try object.reuse(map: Prelude.eventsMapName, fd: channel.events.fd)
        try object.reuse(map: Prelude.countersMapName, fd: channel.counters.fd)
        let names = Set(object.mapNames)
        if names.contains(Prelude.stacksMapName) {
            let stackMaps = try channel.stackMaps()
            try object.reuse(map: Prelude.stacksMapName, fd: stackMaps.stacks.fd)
            try object.reuse(map: Prelude.stackPIDsMapName, fd: stackMaps.pids.fd)
        }
        for map in maps where names.contains(map.decl.name) {
            try object.reuse(map: map.decl.name, fd: map.kernelMap.fd)
        }
    }

    /// Loads an object, explaining a verifier rejection in terms of what the user typed.
    func load(_ object: BPFObject, elf: [UInt8], probeName: String, kind: ProbeKind, range: SourceRange?) throws {
        do {
            try object.load()
        } catch {
            if [.fentry, .fexit].contains(kind), error.errno == EPERM, geteuid() == 0 {
                throw Diagnostic(.error, KernelFeatures.trampolinesRefused, at: range,
                                 hints: [KernelFeatures.trampolineAlternatives])
            }
            guard let log = VerifierReport.extractLog(fromLibbpfOutput: error.libbpfLog)
                ?? verifierLogOfFailedLoad(elf: elf) else { throw error }
            lastVerifierLog = log
            let report = VerifierReport(log: log)
            var diagnostic = Diagnostic(.error, "the verifier rejected probe '\(probeName)': \(report.message)")
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
            if let explanation = report.explanation { diagnostic.hints.append(explanation) }
            diagnostic.hints.append("\(report.omittedLines) more lines of verifier log: 'show log' prints them")
            throw diagnostic
        }
    }

    /// libbpf's own retry fails on long logs (a loop the verifier walks a million
    /// times): load again with a large buffer of ours; the kernel keeps the log's tail.
    private func verifierLogOfFailedLoad(elf: [UInt8]) -> String? {
        let log = try? reloadWithVerifierLog(elf: elf, name: "bpfsh_verifier_log", requireSuccess: false)
        return log?.isEmpty == false ? log : nil
    }

    /// Loads a fresh copy of an object with the verifier's log on and returns the log.
    /// The copy is closed at once: it is never attached.
    func reloadWithVerifierLog(elf: [UInt8], name: String, requireSuccess: Bool) throws -> String {
        let object = try BPFObject(elf: elf, name: name)
        defer { object.close() }
        let size = 16 << 20
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        defer { buffer.deallocate() }
        buffer[0] = 0
        object.requestVerifierLog(level: 1, buffer: buffer, size: size)
        try bindMaps(of: object)
        do {
            try object.load()
        } catch where requireSuccess {
            throw error
        } catch {}
        return String(cString: buffer)
    }
}
