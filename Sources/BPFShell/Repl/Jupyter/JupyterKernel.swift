import CZMQ
import Foundation

/// bpfsh as a Jupyter kernel: one live session per notebook, so maps and probes outlive
/// cells. Speaks the wire protocol (5.3) itself over ZeroMQ: shell and control (ROUTER),
/// iopub (PUB), stdin (ROUTER, unused: bpfsh never asks for input), heartbeat (REP).
public final class JupyterKernel {
    private let connection: JupyterConnection
    private let signer: MessageSigner
    private let sessionID = UUID().uuidString
    private let context: UnsafeMutableRawPointer
    private let shell, control, stdin, iopub: ZMQSocket
    private let heartbeat: ZMQSocket
    private let output = JupyterOutput()
    private var session: Session
    private var executionCount = 0
    private var running = true

    public init(connectionFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JupyterError.connectionFile("cannot read the connection file '\(path)'")
        }
        do {
            connection = try JSONDecoder().decode(JupyterConnection.self, from: data)
        } catch {
            throw JupyterError.connectionFile("'\(path)' is not a Jupyter connection file: \(error)")
        }
        guard connection.signatureScheme == "hmac-sha256" || connection.key.isEmpty else {
            throw JupyterError.connectionFile("signature scheme '\(connection.signatureScheme)' is not supported (hmac-sha256 is)")
        }
        signer = MessageSigner(key: Array(connection.key.utf8))
        guard let context = zmq_ctx_new() else { throw JupyterError.zmq("context", zmq_errno()) }
        self.context = context
        shell = try ZMQSocket(context: context, type: ZMQ_ROUTER, address: connection.address(connection.shellPort))
        control = try ZMQSocket(context: context, type: ZMQ_ROUTER, address: connection.address(connection.controlPort))
        stdin = try ZMQSocket(context: context, type: ZMQ_ROUTER, address: connection.address(connection.stdinPort))
        iopub = try ZMQSocket(context: context, type: ZMQ_PUB, address: connection.address(connection.iopubPort))
        heartbeat = try ZMQSocket(context: context, type: ZMQ_REP, address: connection.address(connection.hbPort))
        session = Session(configuration: .init(sourceName: "cell"), output: output)
        output.publish = { [unowned self] name, text in publishStream(name, text) }
        session.presenter.richDisplay = { [unowned self] item, text in
            guard let parent = output.parent, let data = RichMapDisplay.bundle(for: item, plainText: text) else { return false }
            let content = JSONValue.object([("data", data), ("metadata", .object([])), ("transient", .object([]))])
            iopub.send(JupyterMessage.frames(type: "display_data", encodedContent: Array(content.encoded.utf8), parent: parent,
                                             identities: [Array("display_data".utf8)], session: sessionID, signer: signer))
            return true
        }
        session.warmUp()
    }

    /// Serves until a shutdown request; returns the exit status.
    public func run() -> Int32 {
        let beatEnded = DispatchSemaphore(value: 0)
        let beat = Thread { [heartbeat] in
            // Signals are the main loop's (SIGTERM ends it, SIGINT stops a `run`): a signal
            // interrupting zmq's wait here trips an assertion in libzmq.
            var blocked = sigset_t()
            sigemptyset(&blocked)
            for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&blocked, signal) }
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            // The heartbeat echoes whatever arrives, on its own thread, even while a cell runs.
            while let frames = heartbeat.receive(wait: true) { heartbeat.send(frames) }
            beatEnded.signal()
        }
        beat.start()
        while running, Signals.termination == nil {
            var items = [zmq_pollitem_t(socket: control.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
                         zmq_pollitem_t(socket: shell.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
                         zmq_pollitem_t(socket: stdin.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
            guard zmq_poll(&items, 3, 250) >= 0 || zmq_errno() == EINTR else { break }
            _ = Signals.takeInterrupt() // an interrupt between cells has nothing to stop
            while let frames = control.receive() { handle(frames, on: control) }
            while let frames = shell.receive() { handle(frames, on: shell) }
            while stdin.receive() != nil {} // bpfsh never asks for input
        }
        session.close()
        for socket in [shell, control, stdin, iopub] { socket.close() }
        zmq_ctx_shutdown(context) // ends the heartbeat's blocking receive
        // Its socket is closed only once its thread is out of zmq: sockets are not thread-safe.
        beatEnded.wait()
        heartbeat.close()
        zmq_ctx_term(context)
        return 0
    }

    private func handle(_ frames: [[UInt8]], on socket: ZMQSocket) {
        let message: JupyterMessage
        do {
            message = try JupyterMessage.decode(frames, signer: signer)
        } catch {
            // A malformed or wrongly signed message is logged and dropped, never answered.
            FileHandle.standardError.write(Data("bpfsh kernel: dropped a message (\(error))\n".utf8))
            return
        }
        publish("status", ["execution_state": "busy"], parent: message)
        defer { publish("status", ["execution_state": "idle"], parent: message) }
        let replyType = message.type.replacingOccurrences(of: "_request", with: "_reply")
        let content: [String: Any]
        switch message.type {
        case "kernel_info_request": content = kernelInfo
        case "execute_request": content = execute(message)
        case "is_complete_request": content = isComplete(message.content["code"] as? String ?? "")
        case "complete_request": content = complete(message)
        case "inspect_request": content = inspect(message)
        case "history_request": content = ["status": "ok", "history": session.history.filter { !$0.isProse }.map { [0, $0.number, $0.text] }]
        case "comm_info_request": content = ["status": "ok", "comms": [String: Any]()]
        case "shutdown_request":
            running = false
            content = ["status": "ok", "restart": message.content["restart"] as? Bool ?? false]
        case "interrupt_request":
            kill(getpid(), SIGINT)
            content = ["status": "ok"]
        default:
            return
        }
        socket.send(JupyterMessage.frames(type: replyType, content: content, parent: message, identities: message.identities,
                                          session: sessionID, signer: signer))
    }

    private var kernelInfo: [String: Any] {
        ["status": "ok", "protocol_version": "5.3", "implementation": "bpfsh", "implementation_version": Notebook.bpfshVersion,
         "language_info": ["name": "bpfsh", "version": Notebook.bpfshVersion, "mimetype": "text/x-bpfsh",
                           "file_extension": ".bpfsh", "pygments_lexer": "c", "codemirror_mode": "text/x-csrc"],
         "banner": "bpfsh \(Notebook.bpfshVersion): BPF tracing, one live session per notebook (maps outlive cells)",
         "help_links": [[String: Any]]()]
    }

    /// Runs a cell's commands in the session; output streams while it runs.
    private func execute(_ message: JupyterMessage) -> [String: Any] {
        let code = message.content["code"] as? String ?? ""
        let silent = message.content["silent"] as? Bool ?? false
        if !silent { executionCount += 1 }
        publish("execute_input", ["code": code, "execution_count": executionCount], parent: message)
        output.begin(parent: message)
        _ = Signals.takeInterrupt()
        let firstEntry = session.history.count
        let succeeded = session.execute(code)
        session.flush()
        // A flame graph the cell wrote is shown inline (the file stays for a browser).
        for file in session.history[firstEntry...].flatMap(\.files) where file.kind == .svg {
            guard let svg = try? String(contentsOfFile: file.path, encoding: .utf8) else { continue }
            publish("display_data", ["data": ["image/svg+xml": svg, "text/plain": file.path], "metadata": [String: Any](),
                                     "transient": [String: Any]()], parent: message)
        }
        let errors = output.end()
        if succeeded, !errors.isEmpty {
            // Warnings of a cell that worked (a full map, lost records) show as stderr.
            publish("stream", ["name": "stderr", "text": errors], parent: message)
        }
        if !succeeded {
            let lines = errors.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let summary = lines.first { $0.contains("error:") } ?? "the cell failed"
            let error: [String: Any] = ["ename": "bpfsh error", "evalue": summary, "traceback": lines]
            publish("error", error, parent: message)
            return error.merging(["status": "error", "execution_count": executionCount]) { $1 }
        }
        return ["status": "ok", "execution_count": executionCount, "user_expressions": [String: Any]()]
    }

    /// An open block is incomplete (the notebook keeps the cell open for more lines).
    private func isComplete(_ code: String) -> [String: Any] {
        switch CommandParser.parse(code) {
        case .needsMore: return ["status": "incomplete", "indent": "    "]
        case .failed: return ["status": "invalid"]
        case .complete: return ["status": "complete"]
        }
    }

    private func complete(_ message: JupyterMessage) -> [String: Any] {
        let code = message.content["code"] as? String ?? ""
        let cursor = min(message.content["cursor_pos"] as? Int ?? code.count, code.count)
        let before = String(code.prefix(cursor))
        let line = String(before.split(separator: "\n", omittingEmptySubsequences: false).last ?? "")
        let completion = Completer(source: SessionCompletionSource(session: session)).complete(line)
        return ["status": "ok", "matches": completion.candidates, "cursor_start": cursor - completion.replacing,
                "cursor_end": cursor, "metadata": [String: Any]()]
    }

    /// The help text for the word under the cursor: a command, a built-in, a probe kind.
    private func inspect(_ message: JupyterMessage) -> [String: Any] {
        let code = message.content["code"] as? String ?? ""
        let cursor = min(message.content["cursor_pos"] as? Int ?? code.count, code.count)
        let characters = Array(code)
        var start = cursor, end = cursor
        let isWord: (Character) -> Bool = { $0.isLetter || $0.isNumber || $0 == "_" }
        while start > 0, isWord(characters[start - 1]) { start -= 1 }
        while end < characters.count, isWord(characters[end]) { end += 1 }
        let word = String(characters[start..<end])
        guard !word.isEmpty, let text = HelpCommand.text(for: word) else {
            return ["status": "ok", "found": false, "data": [String: Any](), "metadata": [String: Any]()]
        }
        return ["status": "ok", "found": true, "data": ["text/plain": text], "metadata": [String: Any]()]
    }

    private func publishStream(_ name: String, _ text: String) {
        guard let parent = output.parent, !text.isEmpty else { return }
        publish("stream", ["name": name, "text": text], parent: parent)
    }

    private func publish(_ type: String, _ content: [String: Any], parent: JupyterMessage) {
        iopub.send(JupyterMessage.frames(type: type, content: content, parent: parent, identities: [Array(type.utf8)],
                                         session: sessionID, signer: signer))
    }
}

/// Where a cell's output goes: stdout text streams to the notebook as it is flushed
/// (print() lines while `run` runs); stderr is kept to become the cell's error.
final class JupyterOutput: OutputSink {
    var publish: (String, String) -> Void = { _, _ in }
    private(set) var parent: JupyterMessage?
    private var pending = ""
    private var errors = ""

    var isTerminal: Bool { false }

    func begin(parent: JupyterMessage) {
        self.parent = parent
        errors = ""
    }

    /// Ends the cell: flushes what is left and hands back its stderr text.
    func end() -> String {
        flush()
        parent = nil
        return errors
    }

    func write(_ text: String) { pending += text }
    func write(bytes: UnsafeRawBufferPointer) { pending += String(decoding: bytes, as: UTF8.self) }
    func writeError(_ text: String) {
        flush()
        errors += text
    }

    func flush() {
        guard !pending.isEmpty else { return }
        publish("stdout", pending)
        pending = ""
    }
}
