import Foundation

extension Session {
    /// Compiles a unit, turning clang's complaints into diagnostics on the user's cells.
    /// Errors clang places in generated code are pinned to `fallback` (the spec or declaration).
    /// `points` are the probe's attach points: one body compiled against several record
    /// types can fail at some of them only, which is said once, naming them.
    func compile(_ unit: GeneratedUnit, runtime: Runtime, fallback: SourceRange?, what: String,
                 points: [AttachPoint] = []) throws -> CompiledObject {
        do {
            let compiled = try runtime.compile(unit)
            for warning in compiled.warnings where warning.severity == .warning {
                if let diagnostic = diagnostic(for: warning, fallback: fallback, what: what) {
                    report(diagnostic, cell: diagnostic.cell ?? cellCount)
                }
            }
            return compiled
        } catch let failure as CompileFailure {
            var diagnostics: [Diagnostic] = []
            var missingFields: [String: (diagnostic: Diagnostic, points: [String])] = [:]
            for message in ClangMessage.locatedByNotes(failure.messages) where message.severity == .error {
                guard var diagnostic = diagnostic(for: message, fallback: fallback, what: what) else { continue }
                if message.message.contains("BPF stack limit is exceeded") {
                    // Said once, at the user's largest local array when there is one.
                    if diagnostics.contains(where: { $0.message.hasPrefix("this probe's locals") }) { continue }
                    diagnostic.message = "this probe's locals need more than the 512 bytes of stack BPF gives a program"
                    diagnostic.hints = ["keep large buffers in a map: map scratch array<struct big> size 1, then "
                                        + "struct big *b = get(scratch, 0); if (b) { … }"]
                    if let (cellNumber, range) = largestLocalArray(fallback: diagnostic) {
                        diagnostic.cell = cellNumber
                        diagnostic.range = range
                    }
                }
                if message.message.hasPrefix("subscripted value is not"), let cellNumber = diagnostic.cell,
                   let text = cells[cellNumber]?.text, let field = Self.dataLocField(before: message, in: text, points: points) {
                    diagnostic.hints = ["'\(field)' is a __data_loc string kept in the tracepoint record: read it with str(args->\(field))"]
                }
                if message.message.hasPrefix("unsupported signed division") {
                    diagnostic.message = "signed division or modulo: BPF programs divide only unsigned numbers"
                    diagnostic.hints = ["cast the operands to unsigned, e.g. (u64)a / b, or declare the variable u64"]
                    if let range = diagnostic.range, let cellNumber = diagnostic.cell, let text = cells[cellNumber]?.text {
                        diagnostic.range = Self.statementRange(in: text, from: range)
                    }
                }
                if points.count > 1, let (field, structName) = Self.missingField(message.message),
                   let point = points.first(where: { $0.recordStructName == structName }) {
                    let key = "\(field)@\(message.line):\(message.column)"
                    if missingFields[key] == nil {
                        diagnostic.message = "'\(field)' is not a field at every point of this probe"
                        diagnostics.append(diagnostic)
                        missingFields[key] = (diagnostic, [])
                    }
                    missingFields[key]?.points.append(point.label)
                    continue
                }
                // One body compiled for several points repeats each error per point: say it once.
                if !diagnostics.contains(diagnostic) { diagnostics.append(diagnostic) }
            }
            for (_, missing) in missingFields {
                guard let index = diagnostics.firstIndex(of: missing.diagnostic) else { continue }
                let list = missing.points.prefix(4).joined(separator: ", ") + (missing.points.count > 4 ? ", …" : "")
                diagnostics[index].message += ": \(missing.points.count) of \(points.count) lack it (\(list))"
                diagnostics[index].hints = ["every point of a probe runs the same body: use the fields they share ('info SPEC' lists them), or split the probe"]
            }
            if diagnostics.isEmpty {
                diagnostics = [Diagnostic(.error, "clang could not compile \(what)", at: fallback,
                                          details: failure.output.split(separator: "\n").prefix(20).map(String.init))]
            }
            throw DiagnosticList(Array(diagnostics.prefix(5)))
        }
    }

    /// ("flags", "bpfsh_tp_syscalls__sys_enter_open") from clang's "no member named 'flags'
    /// in 'struct bpfsh_tp_syscalls__sys_enter_open'".
    static func missingField(_ message: String) -> (String, String)? {
        let parts = message.components(separatedBy: "'")
        guard message.hasPrefix("no member named '"), parts.count >= 4, parts[3].hasPrefix("struct ") else { return nil }
        return (parts[1], String(parts[3].dropFirst("struct ".count)))
    }

    /// The biggest `TYPE name[N]` declared in the current probe's body, for errors about
    /// the stack (clang places them on the function, not on the array).
    private func largestLocalArray(fallback: Diagnostic) -> (Int, SourceRange)? {
        let cellNumber = fallback.cell ?? cellCount
        guard let text = cells[cellNumber]?.text else { return nil }
        var best: (size: Int, range: SourceRange)?
        for (lineIndex, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let characters = Array(line)
            var index = 0
            while let open = characters[index...].firstIndex(of: "["), let close = characters[open...].firstIndex(of: "]") {
                let count = Int(String(characters[(open + 1)..<close]).trimmingCharacters(in: .whitespaces)) ?? 0
                // A declaration: a name, then a type word before it ("char buf[700]").
                let start = characters[..<open].lastIndex { $0 == ";" || $0 == "{" }.map { $0 + 1 } ?? 0
                let declaration = String(characters[start...close]).trimmingCharacters(in: .whitespaces)
                if count > (best?.size ?? 64), declaration.split(separator: " ").count >= 2 {
                    let column = start + (characters[start...].firstIndex { $0 != " " } ?? start) - start + 1
                    best = (count, SourceRange(line: lineIndex + 1, column: column, length: declaration.count + 1))
                }
                index = close + 1
            }
        }
        return best.map { (cellNumber, $0.range) }
    }

    /// The tracepoint field named just before clang's column (`args->filename[0]`), when it
    /// is a __data_loc string at one of the probe's points.
    static func dataLocField(before message: ClangMessage, in text: String, points: [AttachPoint]) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard message.line >= 1, message.line <= lines.count else { return nil }
        let prefix = lines[message.line - 1].prefix(max(message.column - 1, 0))
        let name = String(prefix.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
        guard !name.isEmpty else { return nil }
        let isDataLoc = points.contains { point in
            guard case let .tracepoint(format) = point.context else { return false }
            return format.fields.contains { $0.name == name && $0.declaration.hasPrefix("__data_loc") }
        }
        return isDataLoc ? name : nil
    }

    /// From `start` to the end of its statement (the ';' or the line's end): what a
    /// code-generation error located only by its statement points at.
    static func statementRange(in text: String, from range: SourceRange) -> SourceRange {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard range.start.line >= 1, range.start.line <= lines.count else { return range }
        let line = Array(lines[range.start.line - 1])
        let start = max(range.start.column - 1, 0)
        guard start < line.count else { return range }
        let end = line[start...].firstIndex(of: ";").map { $0 + 1 } ?? line.count
        return SourceRange(line: range.start.line, column: start + 1, length: end - start)
    }


    private func diagnostic(for message: ClangMessage, fallback: SourceRange?, what: String) -> Diagnostic? {
        guard let cellNumber = cell(forFile: message.file, current: cellCount), let cell = cells[cellNumber] else {
            var diagnostic = Diagnostic(message.severity, "\(what): \(message.message)", at: fallback)
            if message.message.hasPrefix("redefinition of") {
                diagnostic.hints = ["the name is taken by the kernel's headers (vmlinux.h), in scope in every probe: choose another"]
            } else {
                diagnostic.hints = [what.hasPrefix("probe")
                    ? "the error is in code bpfsh generated for it; 'show NAME c' prints that code"
                    : "types a map names must be declared first: built-in (u32, comm_t) or in a c { } block"]
            }
            return diagnostic
        }
        if var mismatch = MapArgumentMismatch(message.message),
           case _ = mismatch.useDeclaredName(map(named: mismatch.map)?.decl),
           var diagnostic = mismatch.diagnostic(in: cell.text, line: message.line, column: message.column) {
            diagnostic.cell = cellNumber
            return diagnostic
        }
        let length = tokenLength(in: cell.text, line: message.line, column: message.column)
        var diagnostic = Diagnostic(message.severity, message.message,
                                    at: SourceRange(line: message.line, column: message.column, length: length))
        diagnostic.cell = cellNumber
        if message.message.hasPrefix("redefinition of") {
            diagnostic.hints = ["the kernel's types (vmlinux.h) are in scope in every probe: pick another name"]
        }
        if message.message.contains("bpfsh_data_loc_t") {
            diagnostic.hints = ["a __data_loc field is a string kept in the tracepoint record: read it with str(args->FIELD)"]
        }
        if message.message.contains("call to undeclared function") {
            diagnostic.hints = ["built-ins: " + Builtin.synopsis, "'help builtins' describes each"]
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
}
