import Foundation

/// `history`: every cell with its outcome.
struct HistoryCommand: ShellCommand {
    static let name = "history"
    static let summary = "list this session's commands, numbered, with their outcome"
    static let usage = "history"
    static let example = "history"
    static let isRecorded = false

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(0...0, usage: Self.usage)
    }

    func execute(in session: Session, cell: Int) throws {
        var lines: [String] = []
        for entry in session.history where !entry.isProse {
            let firstLine = entry.text.split(separator: "\n").first.map(String.init) ?? ""
            let more = entry.text.contains("\n") ? " …" : ""
            lines.append(String(format: "%4d  %@  %@%@", entry.number, entry.succeeded ? "ok   " : "error", firstLine, more))
        }
        session.showText(lines.isEmpty ? "no commands yet" : lines.joined(separator: "\n"))
    }
}

/// `save [-f] [--all] FILE`: a script that replays the session.
struct SaveCommand: ShellCommand {
    static let name = "save"
    static let summary = "save the session's commands as a script that replays it (-f overwrites, --all keeps failures as comments)"
    static let usage = "save [-f] [--all] FILE"
    static let example = "save /tmp/opens.bpfsh"
    static let isRecorded = false

    let path: Token
    let force: Bool
    let includeFailures: Bool

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(1...3, usage: Self.usage)
        let options = syntax.arguments.filter { $0.text.hasPrefix("-") }
        let paths = syntax.arguments.filter { !$0.text.hasPrefix("-") }
        for option in options where !["-f", "--all"].contains(option.text) {
            throw Diagnostic.error("unknown option '\(option.text)'", at: option.range, hint: "usage: \(Self.usage)")
        }
        // A file name is required, and only one: `save --all` must not write a file named "--all".
        guard let file = paths.first else {
            throw Diagnostic.error("save needs a file to write", at: syntax.argumentsRange, hint: "usage: \(Self.usage)")
        }
        if paths.count > 1 {
            throw Diagnostic.error("save writes one file; '\(paths[1].text)' is a second one", at: paths[1].range,
                                   hint: "usage: \(Self.usage)")
        }
        force = options.contains { $0.text == "-f" }
        includeFailures = options.contains { $0.text == "--all" }
        path = file
    }

    func execute(in session: Session, cell: Int) throws {
        let script = session.script(includeFailures: includeFailures)
        try SessionFile.write(script, to: path, force: force)
        let count = session.history.filter { $0.isRecorded && $0.succeeded }.count
        session.say("saved \(count) commands to \(path.text)")
    }
}

/// `load FILE [ARGS]`: run a script inside this session.
struct LoadCommand: ShellCommand {
    static let name = "load"
    static let summary = "run a script (or a snippet from bpf-snippets/) inside this session"
    static let usage = "load FILE [ARGS…]"
    static let example = "load bpf-snippets/syscall-counts.bpfsh"
    static let isRecorded = false

    let path: Token
    let arguments: [String]

    init(_ syntax: CommandSyntax) throws {
        guard let first = syntax.arguments.first else {
            throw Diagnostic.error("load needs a file", at: syntax.range, hint: "usage: \(Self.usage)")
        }
        path = first
        arguments = syntax.arguments.dropFirst().map(\.text)
    }

    /// For a name that is no file: where snippets were looked for (a binary copied out of
    /// its checkout finds none unless told).
    static func snippetHint(for name: String) -> String? {
        guard !FileManager.default.fileExists(atPath: (name as NSString).expandingTildeInPath) else { return nil }
        let folders = SessionFile.snippetDirectories()
        guard !folders.isEmpty else {
            return "no bpf-snippets folder was found (next to the binary's checkout or in /usr/local/share/bpfsh); set BPFSH_SNIPPETS to one"
        }
        return "no such snippet either in " + folders.joined(separator: ", ") + " (BPFSH_SNIPPETS names another folder)"
    }

    /// Scripts that load scripts: deeper than this is a mistake, not a plan.
    static let maximumDepth = 16

    func execute(in session: Session, cell: Int) throws {
        let resolved = SessionFile.resolveScript(path.text)
        let canonical = URL(fileURLWithPath: resolved).resolvingSymlinksInPath().path
        if session.loadChain.contains(canonical) || session.loadChain.count >= Self.maximumDepth {
            let chain = (session.loadChain + [canonical]).map { ($0 as NSString).lastPathComponent }.joined(separator: " → ")
            throw Diagnostic.error(session.loadChain.contains(canonical) ? "'\(path.text)' would load itself again: \(chain)"
                                       : "scripts loading scripts go \(Self.maximumDepth) deep at most: \(chain)",
                                   at: path.range, hint: "a script cannot load one that is already running")
        }
        session.loadChain.append(canonical)
        defer { session.loadChain.removeLast() }
        let text: String
        do {
            text = try ScriptRunner.read(resolved)
        } catch .cannotRead(let reason) {
            throw Diagnostic.error("cannot load '\(path.text)': \(reason)", at: path.range, hint: Self.snippetHint(for: path.text))
        } catch {
            throw Diagnostic.error("cannot load '\(path.text)': it is not a text script (binary or not UTF-8)", at: path.range)
        }
        // A file whose first command is no bpfsh command is not a script (/etc/shadow):
        // say so without quoting its content back.
        if case let .complete(commands) = CommandParser.parse(text), let first = commands.first,
           CommandRegistry.command(named: first.name.text) == nil,
           Suggestions.hint(for: first.name.text, in: CommandRegistry.names) == nil { // a typo ("mpa") is reported as one
            throw Diagnostic.error("cannot load '\(path.text)': it is not a bpfsh script (line \(first.name.range.start.line) starts with no bpfsh command)",
                                   at: path.range, hint: "a script holds commands such as map, probe, run and print, one per line")
        }
        guard ScriptRunner.run(text, in: session, sourceName: resolved, arguments: arguments) else {
            throw Diagnostic.error("'\(path.text)' stopped at its first error (above); what ran before it stays in the session",
                                   at: path.range)
        }
    }
}

/// `export FILE.md`: the session as a Markdown notebook with every output.
/// `export MAP FILE.folded`: a stack-keyed map as folded stacks (flamegraph.pl, inferno, speedscope).
struct ExportCommand: ShellCommand {
    static let name = "export"
    static let summary = "write the session as a notebook, Markdown (FILE.md) or Jupyter (FILE.ipynb), each command and what it printed (--all keeps help and history cells); or a stack map as folded stacks"
    static let usage = "export [-f] [--all] FILE.md|FILE.ipynb | export [-f] MAP FILE.folded"
    static let example = "export /tmp/session.md"
    static let isRecorded = false

    let path: Token
    let map: Token?
    let force: Bool
    let includeAll: Bool

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(1...4, usage: Self.usage)
        var words = syntax.arguments
        force = words.contains { $0.text == "-f" }
        includeAll = words.contains { $0.text == "--all" }
        words.removeAll { $0.text == "-f" || $0.text == "--all" }
        if let option = words.first(where: { $0.text.hasPrefix("-") }) {
            throw Diagnostic.error("unknown option '\(option.text)'", at: option.range, hint: "usage: \(Self.usage)")
        }
        guard (1...2).contains(words.count) else {
            throw Diagnostic.error("export takes a notebook file, or a map and a .folded file", at: syntax.argumentsRange,
                                   hint: "usage: \(Self.usage)")
        }
        path = words[words.count - 1]
        map = words.count == 2 ? words[0] : nil
    }

    func execute(in session: Session, cell: Int) throws {
        if let map {
            guard let sessionMap = session.map(named: map.text) else { throw session.unknownMap(map) }
            let folded = try session.foldedStacks(of: sessionMap, at: map.range)
            try SessionFile.write(FoldedText.render(folded.stacks, annotateKernel: folded.mixesKernelAndUser), to: path, force: force)
            session.say("exported \(folded.stacks.count) stacks of \(sessionMap.decl.name) to \(path.text) (folded)")
            session.attach(file: path.text, kind: .folded)
            return
        }
        let directory = URL(fileURLWithPath: (path.text as NSString).expandingTildeInPath).standardizedFileURL
            .deletingLastPathComponent().path
        let notebook = path.text.hasSuffix(".ipynb")
            ? Notebook.ipynb(session.history, title: "bpfsh session", includeAll: includeAll)
            : Notebook.markdown(session.history, title: "bpfsh session", directory: directory, includeAll: includeAll)
        try SessionFile.write(notebook, to: path, force: force)
        session.say("exported \(session.history.filter { !$0.isProse }.count) cells to \(path.text)")
    }
}

/// Writing session files: atomically (temporary file, then rename) and never over a
/// different file unless asked.
enum SessionFile {
    static func write(_ text: String, to token: Token, force: Bool) throws {
        guard !token.text.contains("\0") else {
            throw Diagnostic.error("a path cannot contain a NUL byte", at: token.range)
        }
        var path = (token.text as NSString).expandingTildeInPath
        // Only regular files (or new paths) are written: never a device, a FIFO or a link.
        switch FileKind(path: path) {
        case .missing, .regular:
            break
        case let .symbolicLink(target):
            guard force else {
                throw Diagnostic.error("'\(token.text)' is a symbolic link to '\(target)'", at: token.range,
                                       hint: "add -f to write the file it points to")
            }
            path = FileKind.finalTarget(of: path)
            let targetKind = FileKind(path: path)
            guard targetKind == .missing || targetKind == .regular else {
                throw Diagnostic.error("'\(token.text)' points to '\(path)', which is \(targetKind.description); save writes only regular files",
                                       at: token.range)
            }
        case let kind:
            throw Diagnostic.error("'\(token.text)' is \(kind.description), not a regular file; save writes only regular files",
                                   at: token.range, hint: "pick a file path")
        }
        let url = URL(fileURLWithPath: path)
        if let existing = FileManager.default.contents(atPath: path), !force,
           existing != Data(text.utf8) {
            throw Diagnostic.error("'\(token.text)' exists and differs from what would be written", at: token.range,
                                   hint: "add -f to overwrite it")
        }
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).bpfsh-\(getpid())")
        let failure: String?
        // A new file is the user's alone; a file written before keeps its mode.
        let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? 0o600
        if !FileManager.default.createFile(atPath: partial.path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) {
            failure = String(cString: strerror(errno))
        } else if rename(partial.path, path) != 0 { // rename(2) replaces atomically
            failure = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: partial)
        } else {
            failure = nil
        }
        if let failure {
            throw Diagnostic.error("cannot write '\(token.text)': \(failure)", at: token.range,
                                   hint: "nothing was lost: the session is unchanged; pick a writable path")
        }
    }

    /// A script path as typed, else a snippet name from the bundled bpf-snippets/.
    static func resolveScript(_ name: String) -> String {
        let path = (name as NSString).expandingTildeInPath
        if FileManager.default.fileExists(atPath: path) { return path }
        // "bpf-snippets/x.bpfsh" (as help shows it) works from any directory.
        let snippet = name.hasPrefix("bpf-snippets/") ? String(name.dropFirst("bpf-snippets/".count)) : name
        for directory in snippetDirectories() {
            for candidate in [directory + "/" + snippet, directory + "/" + snippet + ".bpfsh"]
                where FileManager.default.fileExists(atPath: candidate) {
                return candidate
            }
        }
        return path
    }

    /// Where snippets live: $BPFSH_SNIPPETS, next to the binary's checkout, or installed.
    static func snippetDirectories() -> [String] {
        bundledDirectories(environment: "BPFSH_SNIPPETS", checkoutPath: "bpf-snippets", installed: "/usr/local/share/bpfsh/bpf-snippets")
    }

    /// A folder that ships with bpfsh: named by an environment variable, found in the
    /// checkout the binary was built in (up to five levels above it), or installed.
    static func bundledDirectories(environment variable: String, checkoutPath: String, installed: String) -> [String] {
        var directories: [String] = []
        if let explicit = ProcessInfo.processInfo.environment[variable] { directories.append(explicit) }
        let binaryDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var url = binaryDirectory
        for _ in 0..<5 {
            directories.append(url.appendingPathComponent(checkoutPath).path)
            url = url.deletingLastPathComponent()
        }
        // `make install PREFIX=…` puts them in PREFIX/share/bpfsh next to PREFIX/bin/bpfsh.
        directories.append(binaryDirectory.deletingLastPathComponent()
            .appendingPathComponent("share/bpfsh/" + (installed as NSString).lastPathComponent).path)
        directories.append(installed)
        return directories.filter { FileManager.default.fileExists(atPath: $0) }
    }
}
