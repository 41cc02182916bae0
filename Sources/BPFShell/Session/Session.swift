import Foundation

/// Everything a user builds up at the prompt: shared C, maps, probes and history.
/// Commands run one at a time; a failing command leaves all of it intact.
public final class Session {
    public struct Configuration {
        public var sourceName: String
        public var cacheRoot: URL
        public var ringBufferBytes: Int
        public var useColor: Bool

        public init(sourceName: String = "input", cacheRoot: URL = Session.defaultCacheRoot(),
                    ringBufferBytes: Int = 8 << 20, useColor: Bool = false) {
            self.sourceName = sourceName
            self.cacheRoot = cacheRoot
            self.ringBufferBytes = ringBufferBytes
            self.useColor = useColor
        }
    }

    /// A command as typed, kept so diagnostics can quote any earlier cell.
    struct Cell {
        var text: String
        var sourceName: String
        var lineOffset: Int
        /// Its number at the prompt, when it was typed there.
        var promptNumber: Int?
    }

    public struct HistoryEntry {
        public var number: Int
        public var text: String
        public var succeeded: Bool
        /// Whether `save` keeps it (it builds or uses session state).
        public var isRecorded: Bool
        /// What the command printed, results and diagnostics in order (for notebooks).
        public var output: String
        /// Files it wrote that a notebook shows (a flame graph).
        public var files: [WrittenFile] = []
        /// Not a command: `#` comment lines between commands, kept as a notebook's prose.
        public var isProse = false
    }

    /// A file a command wrote, for notebooks to show or link.
    public struct WrittenFile: Equatable, Sendable {
        public enum Kind: Sendable { case svg, folded }
        public var path: String
        public var kind: Kind
    }

    public typealias OutputFormat = BPFShell.OutputFormat

    public let configuration: Configuration
    let presenter: Presenter
    public var outputFormat: OutputFormat {
        get { presenter.format }
        set { presenter.format = newValue }
    }
    /// The command being run, named in status and text objects.
    var currentCommand = ""
    /// The kernel, a dry run's plan, or a test's fake: all Session knows of the kernel.
    let backend: any TracingBackend
    /// A dry run: maps and probes are planned and compiled, nothing is loaded.
    public var isDryRun: Bool { !backend.isLive }
    let runtimeLoader: RuntimeLoader

    var cells: [Int: Cell] = [:]
    /// Shared C in the order typed, with the cell each came from (for diagnostics).
    var cBlocks: [UserCode] = []
    var cBlockCells: [Int] = []
    var maps: [SessionMap] = []
    var probes: [AttachedProbe] = []
    var nextMapID = 1
    /// What each probe_name() value names ("tracepoint:syscalls:sys_enter_openat"), kept
    /// after its probe is dropped so maps keyed by it still read.
    var pointLabels: [UInt32: String] = [:] {
        didSet { namesGeneration &+= 1 }
    }
    /// Whether print() lines carry a time (`set timestamps wall|elapsed|off`).
    var timestamps: EventClock.Style = .off
    /// Turns the kernel's CLOCK_MONOTONIC into wall-clock and session time.
    let eventClock = EventClock()
    private var hasWarnedAboutCache = false
    /// Function tables of the binaries uprobes named, read once per file version.
    let elfFunctions = ELFFunctionCache()
    /// The scripts `load` is running, outermost first (a script may not load itself).
    var loadChain: [String] = []
    /// Scripts: Ctrl-C ends a `run` and the script goes on (run, then print, is
    /// bpftrace's END); a second Ctrl-C ends the script. Counted here.
    var isRunningScript = false
    var interruptsInScript = 0
    /// The size of str_t in probes and maps made from now on (`set strlen N`).
    var stringLength = CUnitBuilder.defaultStringLength
    var nextProbeNumber = 1
    var lastVerifierLog: String?
    public private(set) var history: [HistoryEntry] = []
    /// Files the running command wrote (see `attach(file:kind:)`).
    private var writtenFiles: [WrittenFile] = []

    /// Notes a file the running command wrote, for the notebook to show under its cell.
    func attach(file path: String, kind: WrittenFile.Kind) {
        writtenFiles.append(WrittenFile(path: URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path,
                                        kind: kind))
    }
    public private(set) var cellCount = 0
    /// Chunks typed at the interactive prompt: its `[N]`, one number per chunk (however
    /// many commands it holds, and whatever a `load` in it runs).
    public private(set) var promptCount = 0
    /// Set while a chunk typed at the prompt runs: what its commands' diagnostics and
    /// history entries are numbered by.
    private var activePromptNumber: Int?
    public private(set) var isFinished = false
    private var isClosed = false
    /// Mappings of processes whose user stacks were captured, by pid.
    var processMaps: [UInt32: ProcessMaps] = [:] {
        didSet { namesGeneration &+= 1 }
    }
    /// Counts changes to what names stacks and probe points (the metrics endpoint
    /// republishes when it moves).
    var namesGeneration = 0
    lazy var kernelSymbols = KernelSymbols()
    let binarySymbols = BinarySymbolCache()
    /// `set stack-frames`: whether kernel stacks keep the dispatch into the probe.
    var stackFrames: StackFrameSetting = .traced
    /// `set map-memory-limit`: the most kernel memory one map may take.
    var mapMemoryLimit = MapMemoryLimit.standard
    /// True while `every` repeats its block: confirmations (`cleared lat`) would repeat
    /// every tick, so commands keep them to themselves.
    var isRepeating = false
    /// The lesson being played (`tutorial N`), if any.
    var tutorial: TutorialPlayer?
    /// Lost print() records already reported (Session+Events).
    var reportedLost: UInt64 = 0
    /// The metrics endpoint (`serve metrics`), while it runs.
    var metricsService: MetricsService?

    /// `backend` defaults to the running kernel through libbpf.
    public init(configuration: Configuration = Configuration(), output: OutputSink, backend: (any TracingBackend)? = nil) {
        self.configuration = configuration
        presenter = Presenter(sink: output, useColor: configuration.useColor)
        let backend = backend ?? LibbpfBackend(ringBufferBytes: configuration.ringBufferBytes)
        self.backend = backend
        runtimeLoader = RuntimeLoader(cacheRoot: configuration.cacheRoot, btf: backend.btf)
        backend.setEventHandler { [weak self] record in self?.emitEvent(record) }
    }

    public static func defaultCacheRoot() -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("bpfsh")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".cache/bpfsh")
    }

    /// Starts compiler and map set-up in the background while the user types.
    public func warmUp() {
        runtimeLoader.startInBackground()
    }

    func runtime() throws -> Runtime {
        let runtime = try runtimeLoader.get()
        if let warning = runtime.cacheWarning, !hasWarnedAboutCache {
            hasWarnedAboutCache = true
            show(.warning(warning))
        }
        return runtime
    }

    /// Runs one chunk of input (one or more complete commands). Returns false when any failed.
    @discardableResult
    public func execute(_ text: String, sourceName: String? = nil, lineOffset: Int = 0) -> Bool {
        execute(text, parsed: CommandParser.parse(text), sourceName: sourceName, lineOffset: lineOffset)
    }

    /// Runs a chunk the gatherer already parsed (each chunk is parsed once).
    @discardableResult
    public func execute(_ chunk: CommandGatherer.Chunk, sourceName: String? = nil) -> Bool {
        execute(chunk.text, parsed: chunk.parsed, sourceName: sourceName, lineOffset: chunk.firstLine - 1)
    }

    /// Runs a chunk typed at the interactive prompt as cell `[promptCount + 1]`: its
    /// diagnostics say "cell N, line L, column C", lines counted within the chunk.
    @discardableResult
    public func executeTyped(_ chunk: CommandGatherer.Chunk) -> Bool {
        promptCount += 1
        activePromptNumber = promptCount
        defer { activePromptNumber = nil }
        return execute(chunk.text, parsed: chunk.parsed, sourceName: nil, lineOffset: 0, promptNumber: promptCount)
    }

    /// `promptNumber`: the prompt's number for a chunk typed there (commands a `load` in
    /// it runs keep their file's lines, so only the outermost execute gets one).
    private func execute(_ text: String, parsed: CommandParser.Result, sourceName: String?, lineOffset: Int,
                         promptNumber: Int? = nil) -> Bool {
        let name = sourceName ?? configuration.sourceName
        switch parsed {
        case .needsMore:
            cellCount += 1
            cells[cellCount] = Cell(text: text, sourceName: name, lineOffset: lineOffset, promptNumber: promptNumber)
            report(Diagnostic.error("the block is not closed: a '}' is missing at the end of the input",
                                    at: CommandParser.unclosedBrace(in: text),
                                    hint: "every '{' needs its '}'; the block was not run"), cell: cellCount)
            history.append(HistoryEntry(number: entryNumber, text: text, succeeded: false, isRecorded: true,
                                        output: presenter.takeTranscript()))
            return false
        case let .failed(diagnostics):
            cellCount += 1
            cells[cellCount] = Cell(text: text, sourceName: name, lineOffset: lineOffset, promptNumber: promptNumber)
            diagnostics.forEach { report($0, cell: cellCount) }
            history.append(HistoryEntry(number: entryNumber, text: text, succeeded: false, isRecorded: true,
                                        output: presenter.takeTranscript()))
            return false
        case let .complete(commands):
            var succeeded = true
            for command in commands {
                cellCount += 1
                cells[cellCount] = Cell(text: text, sourceName: name, lineOffset: lineOffset, promptNumber: promptNumber)
                let ok = run(command, cell: cellCount)
                succeeded = succeeded && ok
                if isFinished { break }
            }
            drainEvents()
            presenter.flush()
            return succeeded
        }
    }

    private func run(_ syntax: CommandSyntax, cell: Int) -> Bool {
        guard let type = CommandRegistry.command(named: syntax.name.text) else {
            var hints: [String] = []
            if let hint = Suggestions.hint(for: syntax.name.text, in: CommandRegistry.names) { hints.append(hint) }
            hints.append("type 'help' for the list of commands")
            report(Diagnostic(.error, "unknown command '\(syntax.name.text)'", at: syntax.name.range, hints: hints), cell: cell)
            history.append(HistoryEntry(number: entryNumber, text: syntax.text, succeeded: false, isRecorded: true,
                                        output: presenter.takeTranscript()))
            return false
        }
        currentCommand = type.name
        if isDryRun, type.needsKernel {
            say("dry run: '\(syntax.text.split(separator: "\n").first ?? "")' not executed")
            history.append(HistoryEntry(number: entryNumber, text: syntax.text, succeeded: true, isRecorded: type.isRecorded,
                                        output: presenter.takeTranscript()))
            return true
        }
        var ok = true
        // Output streamed while the prompt waited belongs to the cell before this one.
        appendToLastEntry(presenter.takeTranscript())
        let index = history.count
        history.append(HistoryEntry(number: entryNumber, text: syntax.text, succeeded: true, isRecorded: type.isRecorded, output: ""))
        writtenFiles = []
        // A tutorial step: its setup runs and its workload starts before the command.
        let tutorialStep = type != TutorialCommand.self && (tutorial?.isCurrentStep(syntax.text) ?? false)
        if tutorialStep, let player = tutorial {
            player.prepare().forEach { show(.warning($0)) }
        }
        do {
            let command = try type.init(syntax)
            try command.execute(in: self, cell: cell)
        } catch {
            ok = false
            reportError(error, cell: cell)
        }
        // A step's workload may outlast its command: what it caused (lost records) belongs
        // to the step, so wait for it and drain once more before the step is judged.
        if tutorialStep, let player = tutorial { player.awaitWorkloads() }
        drainEvents()
        history[index].succeeded = ok
        history[index].files = writtenFiles
        writtenFiles = []
        // Commands run by this one (load, every) keep their own entries and transcripts.
        history[index].output = presenter.takeTranscript()
        // A step's output includes what the commands it ran printed (load keeps their own entries).
        if tutorialStep { tutorialStepRan(succeeded: ok, output: history[index...].map(\.output).joined()) }
        publishMetrics()
        return ok
    }

    func reportError(_ error: Error, cell: Int) {
        switch error {
        case let diagnostic as Diagnostic:
            report(diagnostic, cell: diagnostic.cell ?? cell)
        case let list as DiagnosticList:
            for diagnostic in list.diagnostics {
                report(diagnostic, cell: diagnostic.cell ?? cell)
            }
        case let kernel as KernelError:
            report(diagnostic(for: kernel, at: nil, probeName: nil), cell: cell)
        case let failure as CompileFailure:
            report(Diagnostic(.error, "clang failed", details: failure.output.split(separator: "\n").map(String.init)), cell: cell)
        case let toolchain as ToolchainError:
            report(Diagnostic.error(toolchain.message, hint: toolchain.hint), cell: cell)
        case let spawn as ProcessRunner.SpawnError:
            report(Diagnostic.error(spawn.description, hint: "is the compiler installed and executable?"), cell: cell)
        case let file as CocoaError:
            // Writing the header and object cache (a full disk, a read-only home).
            report(Diagnostic.error("cannot write bpfsh's cache: \(file.localizedDescription)",
                                    hint: "set XDG_CACHE_HOME to a writable directory"), cell: cell)
        default:
            // Every failure above is typed; anything else is a bug worth reporting as such.
            report(Diagnostic.error("internal error: \(String(reflecting: error))",
                                    hint: "please report this with the command that caused it"), cell: cell)
        }
    }

    func report(_ diagnostic: Diagnostic, cell: Int) {
        let source = cells[cell]
        report(diagnostic, source: SourceContext(sourceName: source?.sourceName ?? configuration.sourceName,
                                                 text: source?.text ?? "", lineOffset: source?.lineOffset ?? 0,
                                                 cell: source?.promptNumber))
    }

    /// A history entry's number: the prompt's, while a typed chunk runs (a `load` in it
    /// shares it), else the command's own count (scripts, notebooks).
    private var entryNumber: Int { activePromptNumber ?? cellCount }

    /// A diagnostic about input that is not a cell (a script that cannot be read, a line too long).
    public func report(_ diagnostic: Diagnostic, source: SourceContext) {
        presenter.show(.diagnostic(diagnostic, source))
    }

    /// Shows one result of the command being run.
    func show(_ item: OutputItem) {
        presenter.show(item)
    }

    /// The command's confirmation line, with facts for JSON readers.
    func say(_ message: String, facts: [(String, JSONValue)] = []) {
        let trimmed = message.hasSuffix("\n") ? String(message.dropLast()) : message
        presenter.show(.status(Status(command: currentCommand, message: trimmed, facts: facts)))
    }

    /// Lines printed as they are (`list`, `info`, `show`, `help`).
    func showText(_ text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        presenter.show(.text(command: currentCommand, lines: lines))
    }

    /// Pushes buffered output out.
    public func flush() {
        presenter.flush()
    }

    /// The cell a user-code file name of the current compile refers to.
    func cell(forFile file: String, current: Int) -> Int? {
        if file == UserCode.bodyFileName { return current }
        if let index = UserCode.cBlockIndex(fromFileName: file), index < cBlockCells.count { return cBlockCells[index] }
        return nil
    }

    /// What streamed between commands (print() lines of attached probes while the prompt
    /// waited) goes under the cell before, marked so a notebook does not pass it off as
    /// that cell's.
    private func appendToLastEntry(_ text: String) {
        guard !text.isEmpty, let last = history.lastIndex(where: { !$0.isProse }) else { return }
        history[last].output += Self.whileIdleMarker + text
    }

    static let whileIdleMarker = "[printed between commands]\n"

    /// Comment lines of a script (or typed at the prompt) between commands: prose for
    /// notebooks, one paragraph per run of lines. `#` and one space are taken off.
    public func addProse(_ line: String) {
        var text = line.trimmingCharacters(in: .whitespaces).dropFirst()
        if text.first == " " { text = text.dropFirst() }
        if let last = history.indices.last, history[last].isProse {
            history[last].text += "\n" + text
        } else {
            history.append(HistoryEntry(number: entryNumber, text: String(text), succeeded: true, isRecorded: false, output: "",
                                        isProse: true))
        }
    }

    /// Whether a line outside any block is a comment that becomes prose (not `#!`, and not
    /// the header `save` writes).
    public static func isProse(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        // Not what `save` writes itself: its header and, with --all, the failed commands.
        return trimmed.hasPrefix("#") && !trimmed.hasPrefix("#!") && !trimmed.hasPrefix("# bpfsh session script")
            && !trimmed.hasPrefix("# failed: ") && !trimmed.hasPrefix("#         ")
    }

    func finish() {
        isFinished = true
    }

    // MARK: Lookup

    func map(named name: String) -> SessionMap? {
        maps.first { $0.decl.name == name }
    }

    func probe(named name: String) -> AttachedProbe? {
        probes.first { $0.name == name }
    }

    var mapNames: [String] { maps.map(\.decl.name) }
    var probeNames: [String] { probes.map(\.name) }

    // MARK: Teardown

    /// Releases every link, program and map the session made (the backend destroys
    /// links all at once: each waits out an RCU grace period, and those overlap).
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        runtimeLoader.settle()
        stopMetrics()
        probes.removeAll()
        maps.removeAll()
        backend.close()
        runtimeLoader.builtRuntime?.close()
    }

    deinit {
        close()
    }
}
