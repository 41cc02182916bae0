import ArgumentParser
import BPFShell
import Foundation
import MetricsHTTP

@main
struct BPFSh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bpfsh",
        abstract: "An interactive shell for Linux BPF tracing: probes in BPF C, maps that outlive them.",
        discussion: "With no script, bpfsh reads commands at a prompt (or from a pipe). Type 'help' inside.",
        version: Notebook.bpfshVersion)

    @Option(name: .shortAndLong, help: "Run these commands (separated by ';' or newlines), then exit.")
    var execute: String?

    @Flag(help: "Print maps, histograms and print() events as JSON lines (see the README for their shape).")
    var json = false

    @Flag(help: "Compile every map and probe without loading anything into the kernel.")
    var dryRun = false

    @Option(help: ArgumentHelp("Replay SCRIPT and write the executed notebook (Markdown) to the given file.",
                               valueName: "OUT.md"))
    var notebook: String?

    @Option(help: ArgumentHelp("Serve every session map at http://ADDR:PORT/metrics while bpfsh runs (PORT alone: 127.0.0.1; :PORT: every interface).",
                               valueName: "[ADDR:]PORT"))
    var metrics: String?

    @Flag(help: "Never colour the output (NO_COLOR is honoured too).")
    var noColor = false

    @Argument(help: "A script to run instead of reading the prompt; it stops at the first error.")
    var script: String?

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the script: $1 … $9 in its text.")
    var scriptArguments: [String] = []

    func validate() throws {
        if execute != nil, script != nil {
            throw ValidationError("give either -e COMMANDS or a SCRIPT, not both")
        }
        if notebook != nil, script == nil {
            throw ValidationError("--notebook OUT.md needs a SCRIPT to replay")
        }
    }

    mutating func run() throws {
        BPFShellEntry.installProcessHandlers()
        MetricsEndpoint.server = NIOMetricsServer()
        // `bpfsh jupyter …`: the notebook kernel (a script named "jupyter" still runs as one).
        if script == "jupyter", !FileManager.default.fileExists(atPath: "jupyter") {
            throw ExitCode(JupyterEntry.run(scriptArguments))
        }
        let environment = ProcessInfo.processInfo.environment
        let useColor = !noColor && environment["NO_COLOR"] == nil && isatty(STDERR_FILENO) == 1
        func makeSession(_ sourceName: String) -> Session {
            let session = Session(configuration: .init(sourceName: sourceName, useColor: useColor),
                                  output: StandardOutput(), backend: dryRun ? PlanningBackend() : nil)
            if json { session.outputFormat = .json }
            session.warmUp()
            return session
        }
        /// `--metrics`: the endpoint starts before the first command; if it cannot, nothing runs.
        func serveMetrics(_ session: Session) throws {
            guard let metrics else { return }
            if !session.serveMetrics(metrics) {
                session.close()
                throw ExitCode(BPFShellEntry.exitStatus(succeeded: false))
            }
        }
        if let execute {
            let session = makeSession("-e")
            try serveMetrics(session)
            let ok = session.execute(execute)
            session.close()
            throw ExitCode(BPFShellEntry.exitStatus(succeeded: ok))
        }
        if let script {
            let session = makeSession(script)
            try serveMetrics(session)
            let status = BPFShellEntry.runScript(script, arguments: scriptArguments, in: session, notebook: notebook)
            throw ExitCode(status)
        }
        let session = makeSession("input")
        try serveMetrics(session)
        throw ExitCode(BPFShellEntry.runInteractive(session))
    }
}
