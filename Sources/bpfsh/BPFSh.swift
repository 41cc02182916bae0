import ArgumentParser
import BPFShell
import Foundation

@main
struct BPFSh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bpfsh",
        abstract: "An interactive shell for Linux BPF tracing: probes in BPF C, maps that outlive them.",
        version: "0.1.0")

    @Option(name: .shortAndLong, help: "Run these commands (separated by ';' or newlines), then exit.")
    var execute: String?

    @Flag(help: "Never colour the output (NO_COLOR is honoured too).")
    var noColor = false

    @Argument(help: "A script to run instead of reading the prompt.")
    var script: String?

    mutating func run() throws {
        BPFShellEntry.installProcessHandlers()
        let environment = ProcessInfo.processInfo.environment
        let output = StandardOutput()
        let useColor = !noColor && environment["NO_COLOR"] == nil && isatty(STDERR_FILENO) == 1
        if let execute {
            let session = Session(configuration: .init(sourceName: "-e", useColor: useColor), output: output)
            let ok = session.execute(execute)
            session.close()
            throw ExitCode(ok ? 0 : 1)
        }
        if let script {
            let fd = open(script, O_RDONLY)
            guard fd >= 0 else {
                throw ValidationError("cannot open script '\(script)': \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            let session = Session(configuration: .init(sourceName: script, useColor: useColor), output: output)
            session.warmUp()
            let status = Shell(session: session, reader: PlainLineReader(fd: fd), stopOnError: true).run()
            throw ExitCode(status)
        }
        let session = Session(configuration: .init(sourceName: "input", useColor: useColor), output: output)
        session.warmUp()
        let reader: LineReader
        if isatty(STDIN_FILENO) == 1, let editor = EditLineReader(historyPath: BPFShellEntry.historyPath()) {
            reader = editor
        } else {
            reader = PlainLineReader()
        }
        throw ExitCode(Shell(session: session, reader: reader).run())
    }
}
