import Foundation
import Testing
@testable import BPFShell

/// bpfsh as a Jupyter kernel, driven by real clients from Debian's packages: nbclient
/// executes a notebook (maps outlive cells, print() lines stream, an error cell is
/// followed by a working one), jupyter_client interrupts a long `run` and shuts down.
@Suite(.serialized, .needsBPF)
struct JupyterKernelTests {
    static let python = "/usr/bin/python3"
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func notebookRunsWithMapsThatOutliveCells() throws {
        try Capabilities.requireBPF()
        let hasClients = try TimedProcess.run(Self.python, ["-c", "import nbclient, jupyter_client, nbformat"], timeout: 30)
        try #require(hasClients.status == 0, "python3-nbclient and python3-jupyter-client are needed (make test installs them)")
        let program = try TestProgram("jupyterload", source: """
        #include <unistd.h>
        int main(void) { int s = 0; for (int i = 0; i < 25; i++) s += getppid(); return s == 0; }
        """)
        defer { program.remove() }
        let prefix = try makeTemporaryDirectory(prefix: "bpfsh-jupyter")
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let install = try TimedProcess.run(ShellProcess.binaryPath, ["jupyter", "install", "--prefix", prefix], timeout: 30)
        #expect(install.status == 0, "\(install.output)")
        let leaks = LeakCheck()
        let script = """
        import json, os, subprocess, sys, threading, time, nbformat
        from nbclient import NotebookClient
        from jupyter_client import KernelManager
        workload = sys.argv[1]
        nb = nbformat.read(sys.argv[2], as_version=4)
        client = NotebookClient(nb, timeout=120, kernel_name="bpfsh", allow_errors=True)
        def on_cell(cell, cell_index, **kwargs):
            if cell.source.startswith("run "):
                threading.Timer(1.0, lambda: subprocess.run([workload])).start()
        client.on_cell_execute = on_cell
        client.execute()
        nbformat.validate(nb)
        def text(o):
            data = o.get("data", {})
            return o.get("text") or o.get("evalue") or " ".join(k + "=" + (v if isinstance(v, str) else json.dumps(v)) for k, v in data.items())
        result = {"cells": [[o.get("output_type"), text(o)] for c in nb.cells if c.cell_type == "code" for o in c.outputs],
                  "counts": [c.execution_count for c in nb.cells if c.cell_type == "code"]}
        # A long run interrupted: the reply comes within 2 s and the map keeps its data.
        km = KernelManager(kernel_name="bpfsh")
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.execute_interactive("map kept count")
        kc.execute_interactive("probe tracepoint:syscalls:sys_enter_getppid { count(kept); }")
        msg_id = kc.execute("run 60s")
        time.sleep(1.5)
        started = time.time()
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=30)
        result["interrupt_seconds"] = time.time() - started
        texts = []
        kc.execute_interactive("print kept", output_hook=lambda m: texts.append(m["content"].get("text") or m["content"].get("data", {}).get("text/plain", "")))
        result["after_interrupt"] = "".join(texts)
        complete = kc.is_complete("probe tracepoint:syscalls:sys_enter_getppid {")
        result["is_complete"] = kc.get_shell_msg(timeout=30)["content"]["status"]
        kc.complete("probe tracepoint:syscalls:sys_enter_getp", 40)
        result["completions"] = kc.get_shell_msg(timeout=30)["content"]["matches"]
        # A restart is a new process: the old session's maps are gone, the new one works.
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=60)
        restarted = []
        kc.execute_interactive("maps", output_hook=lambda m: restarted.append(m["content"].get("text") or m["content"].get("data", {}).get("text/plain", "")))
        result["after_restart"] = "".join(restarted)
        # The kernelspec's logos, as Jupyter finds them; each PNG decodes (CRCs, zlib, size).
        from jupyter_client.kernelspec import KernelSpecManager
        import struct, zlib
        # (jupyter_server serves a spec folder's logo-* files as the kernel's resources)
        folder = KernelSpecManager().get_all_specs()["bpfsh"]["resource_dir"]
        resources = {name.rsplit(".", 1)[0]: os.path.join(folder, name) for name in os.listdir(folder) if name.startswith("logo-")}
        result["logos"] = sorted(resources)
        def png_ok(path, size):
            data = open(path, "rb").read()
            if data[:8] != bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]): return False
            offset, idat = 8, b""
            while offset < len(data):
                length, kind = struct.unpack(">I4s", data[offset:offset + 8])
                body = data[offset + 8:offset + 8 + length]
                if zlib.crc32(kind + body) != struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])[0]: return False
                if kind == b"IHDR" and struct.unpack(">II", body[:8]) != (size, size): return False
                if kind == b"IDAT": idat += body
                offset += 12 + length
            return len(zlib.decompress(idat)) == size * (1 + 4 * size)
        result["logos_decode"] = all(png_ok(resources["logo-%dx%d" % (n, n)], n) for n in (32, 64))
        km.shutdown_kernel(now=False)
        with open(sys.argv[3], "w") as out:
            json.dump(result, out)
        """
        let harness = prefix + "/harness.py"
        // The result goes to a file: Python and Jupyter may print warnings on stderr after it.
        let resultPath = prefix + "/result.json"
        try script.write(toFile: harness, atomically: true, encoding: .utf8)
        // Kernels' connection files under the prefix: a kernel the harness left behind (a
        // failed run never reaches its shutdown) is found by it and ended below.
        defer { Self.killKernels(under: prefix) }
        let run = try TimedProcess.run("/usr/bin/env", ["JUPYTER_PATH=\(prefix)/share/jupyter", "JUPYTER_RUNTIME_DIR=\(prefix)/runtime",
                                                        "JUPYTER_PLATFORM_DIRS=1", Self.python, harness, program.path,
                                        Self.root.appendingPathComponent("sessions/notebook.ipynb").path, resultPath],
                                       timeout: 240)
        #expect(run.status == 0, "\(run.output.suffix(3000))")
        let json = FileManager.default.contents(atPath: resultPath) ?? Data()
        let result = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:]
        try #require(!result.isEmpty, "the harness wrote no result; it printed:\n\(run.output.suffix(3000))")
        let outputs = (result["cells"] as? [[String]]) ?? []
        let text = outputs.map { $0.joined(separator: " ") }.joined(separator: "\n")
        #expect(text.contains("jupyterload says hello"), "a print() line streams into the run's cell:\n\(text)")
        #expect(text.contains("jupyterload     25") || text.contains("jupyterload  25"), "the count, in a later cell:\n\(text)")
        // Maps display as tables and histograms as charts, with their text and JSON forms.
        #expect(outputs.contains { $0[0] == "display_data" && $0[1].contains("text/html=<table>") && $0[1].contains("<td>25</td>") }, "\(text)")
        #expect(outputs.contains { $0[0] == "display_data" && $0[1].contains("image/svg+xml=<svg") && $0[1].contains("application/json=") }, "\(text)")
        #expect(outputs.contains { $0[0] == "error" && $0[1].contains("no tracepoint 'sys_enter_nosuch'") }, "\(text)")
        // The cell after the error works, and the map kept its count.
        #expect(text.components(separatedBy: "jupyterload").count >= 3, "\(text)")
        #expect((result["counts"] as? [Int]) == [1, 2, 3, 4, 5, 6, 7, 8, 9], "\(result["counts"] ?? "none")")
        // The flame graph of the last cell is shown inline.
        #expect(outputs.contains { $0[0] == "display_data" && $0[1].contains("image/svg+xml=") && $0[1].contains("Flame Graph: ks") },
                "\(text.suffix(500))")
        #expect(((result["interrupt_seconds"] as? Double) ?? 99) < 2, "\(result)")
        #expect((result["after_interrupt"] as? String)?.contains("kept: ") == true, "\(result)")
        #expect(result["is_complete"] as? String == "incomplete")
        #expect((result["completions"] as? [String])?.contains { $0.contains("sys_enter_getppid") } == true, "\(result)")
        #expect((result["after_restart"] as? String)?.contains("no maps yet") == true, "a restarted kernel is a fresh session: \(result)")
        #expect((result["logos"] as? [String]) == ["logo-32x32", "logo-64x64", "logo-svg"], "\(result["logos"] ?? "none")")
        #expect(result["logos_decode"] as? Bool == true)
        #expect(leaks.leftovers(waiting: 30).isEmpty, "restart and shutdown leave no BPF object")
    }

    /// SIGTERM ends an idle kernel cleanly: its heartbeat thread is out of zmq before its
    /// socket closes (libzmq asserted, or hung, when it was not).
    @Test func sigtermEndsTheKernelCleanly() throws {
        try Capabilities.requireBPF()
        let folder = try makeTemporaryDirectory(prefix: "bpfsh-kernel")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for round in 0..<3 {
            let ports = (0..<5).map { _ in HTTPFetch.freePort() }
            let connection = """
            {"shell_port": \(ports[0]), "iopub_port": \(ports[1]), "stdin_port": \(ports[2]), "control_port": \(ports[3]),
             "hb_port": \(ports[4]), "ip": "127.0.0.1", "key": "k", "transport": "tcp", "signature_scheme": "hmac-sha256"}
            """
            try connection.write(toFile: folder + "/kernel-\(round).json", atomically: true, encoding: .utf8)
            let kernel = try ShellProcess(arguments: ["jupyter", "--connection-file", folder + "/kernel-\(round).json"], timeout: 30)
            usleep(700_000)
            kernel.process.signal(SIGTERM)
            let status = kernel.finish(timeout: 10)
            #expect(status == 0, "round \(round): \(kernel.errors)")
            #expect(!kernel.errors.contains("Assertion"), "\(kernel.errors)")
        }
    }

    /// SIGKILLs every process whose command line names `prefix` (jupyter_client starts
    /// kernels in sessions of their own, out of reach of the harness's deadline).
    static func killKernels(under prefix: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid(),
                  let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  String(decoding: command, as: UTF8.self).contains(prefix + "/runtime") else { continue }
            kill(pid, SIGKILL)
        }
    }

    /// Messages are signed with HMAC-SHA256 of the connection key; a tampered one is refused.
    @Test func signaturesAreCheckedAndTamperingRefused() throws {
        let signer = MessageSigner(key: Array("secret".utf8))
        let frames = JupyterMessage.frames(type: "kernel_info_request", content: [:], parent: nil, identities: [Array("id".utf8)],
                                           session: "s", signer: signer)
        #expect(try JupyterMessage.decode(frames, signer: signer).type == "kernel_info_request")
        var tampered = frames
        tampered[tampered.count - 1] = Array("{\"code\":\"quit\"}".utf8)
        #expect(throws: JupyterMessage.DecodeError.badSignature) { try JupyterMessage.decode(tampered, signer: signer) }
        let otherKey = MessageSigner(key: Array("other".utf8))
        #expect(throws: JupyterMessage.DecodeError.badSignature) { try JupyterMessage.decode(frames, signer: otherKey) }
        #expect(throws: JupyterMessage.DecodeError.noDelimiter) { try JupyterMessage.decode([[1, 2, 3]], signer: signer) }
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        #expect(MessageSigner(key: Array("Jefe".utf8)).signature([Array("what do ya want for nothing?".utf8)])
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
