import Foundation

/// What the executable does with a session, kept here so the entry point stays a few lines.
public enum BPFShellEntry {
    public static func installProcessHandlers() {
        Signals.install()
    }

    /// History lives in the user's data directory, shared by every session.
    public static func historyPath() -> String? {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_DATA_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".local/share")
        let directory = base.appendingPathComponent("bpfsh")
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil else { return nil }
        return directory.appendingPathComponent("history").path
    }

    /// 0 when everything worked, 1 when a command failed, 128+N after signal N.
    public static func exitStatus(succeeded: Bool) -> Int32 {
        if let signal = Signals.termination { return 128 + signal }
        return succeeded ? 0 : 1
    }

    /// `bpfsh SCRIPT [ARGS]` and `--notebook`: stop at the first failing command
    /// (reported as SCRIPT:LINE:COL), then release everything.
    public static func runScript(_ path: String, arguments: [String], in session: Session, notebook: String?) -> Int32 {
        let text: String
        do {
            text = try ScriptRunner.read(path)
        } catch {
            let reason: String
            switch error {
            case let .cannotRead(why): reason = why
            case .notText: reason = "it is not a text script (binary or not UTF-8)"
            }
            session.report(.error("cannot run '\(path)': \(reason)"), source: SourceContext(sourceName: "bpfsh", text: "", lineOffset: 0))
            session.close()
            return 1
        }
        session.loadChain = [URL(fileURLWithPath: path).resolvingSymlinksInPath().path] // it may not load itself
        let ok = ScriptRunner.run(text, in: session, sourceName: path, arguments: arguments)
        var status = exitStatus(succeeded: ok)
        if let notebook {
            let title = "bpfsh: \((path as NSString).lastPathComponent)"
            let markdown = notebook.hasSuffix(".ipynb") ? Notebook.ipynb(session.history, title: title)
                : Notebook.markdown(session.history, title: title,
                                    directory: URL(fileURLWithPath: notebook).standardizedFileURL.deletingLastPathComponent().path)
            do {
                try Data(markdown.utf8).write(to: URL(fileURLWithPath: notebook), options: .atomic)
            } catch {
                session.report(.error("cannot write the notebook '\(notebook)': \(error.localizedDescription)"),
                               source: SourceContext(sourceName: "bpfsh", text: "", lineOffset: 0))
                status = 1
            }
        }
        session.close()
        return status
    }

    /// The prompt: libedit on a terminal, plain lines from a pipe.
    public static func runInteractive(_ session: Session) -> Int32 {
        let reader: LineReader
        if isatty(STDIN_FILENO) == 1, let editor = EditLineReader(historyPath: historyPath(), session: session) {
            reader = editor
        } else {
            reader = PlainLineReader()
        }
        return Shell(session: session, reader: reader).run()
    }
}
