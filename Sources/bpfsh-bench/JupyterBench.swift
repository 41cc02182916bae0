import Foundation
import ProcessKit

/// bpfsh as a Jupyter kernel, measured from a real client (Debian's jupyter_client):
/// kernel start to kernel_info_reply, and the execute_request → execute_reply round trip
/// of `print m` on a 1,000-entry map (median of 21).
struct JupyterBench {
    let bench: Bench

    struct Figures {
        var readyMs: Double?
        var printMs: Double?
    }

    static let harness = """
    import json, os, statistics, sys, time
    from jupyter_client import KernelManager
    start = time.time()
    km = KernelManager(kernel_name="bpfsh")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    ready = (time.time() - start) * 1000
    quiet = lambda message: None
    kc.execute_interactive("map m hash<u32, u64> size 2000", output_hook=quiet)
    kc.execute_interactive("c { u32 bench_n; }", output_hook=quiet)
    kc.execute_interactive("probe tracepoint:syscalls:sys_enter_getppid { if (pid() == %d) { u32 k = __sync_fetch_and_add(&bench_n, 1); if (k < 1000) set(m, k, k); } }" % os.getpid(), output_hook=quiet)
    for _ in range(1100):
        os.getppid()
    times = []
    for _ in range(21):
        began = time.time()
        kc.execute_interactive("print m", output_hook=quiet)
        times.append((time.time() - began) * 1000)
    km.shutdown_kernel(now=False)
    print(json.dumps({"ready_ms": ready, "print_ms": statistics.median(times)}))
    """

    func measure() -> Figures {
        let prefix = bench.temporary + "/jupyter"
        let logFile = bench.log.processLog("jupyter")
        guard let install = try? Subprocess.run(bench.settings.bpfsh, ["jupyter", "install", "--prefix", prefix],
                                                timeout: bench.settings.timeout), install.termination?.isSuccess == true else {
            bench.log.say("jupyter: bpfsh jupyter install failed")
            return Figures()
        }
        let script = bench.temporary + "/jupyter-bench.py"
        try? Self.harness.write(toFile: script, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env["JUPYTER_PATH"] = prefix + "/share/jupyter"
        guard let run = try? Subprocess.run("/usr/bin/python3", [script], environment: env, timeout: bench.settings.timeout) else {
            bench.log.say("jupyter: the client could not start (python3-jupyter-client is needed: make deps)")
            return Figures()
        }
        FileIO.append(run.output + run.errors, toFile: logFile)
        guard let line = run.output.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double] else {
            bench.log.say("jupyter: no figures from the client; see \(logFile)")
            return Figures()
        }
        return Figures(readyMs: object["ready_ms"], printMs: object["print_ms"])
    }
}
