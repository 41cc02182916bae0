import CLibBPF
import Foundation

/// The kernel-facing resources a session needs before its first map or probe:
/// a compiler with warm headers, the session's internal maps and the event stream.
/// Built on a background thread at start-up so the prompt appears at once.
final class Runtime {
    let compiler: ProbeCompiler
    let btf: KernelBTF
    let events: KernelMap
    let counters: KernelMap
    let stream: EventStream
    let scratchDirectory: URL
    /// Milliseconds spent generating vmlinux.h and the precompiled prelude (0 when cached).
    let headerMilliseconds: Double
    private var tracefsLocation: Tracefs?

    init(cacheRoot: URL, ringBufferBytes: Int) throws {
        let toolchain = try ClangToolchain.locate()
        let kernelKey = try KernelBTF.identity()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        scratchDirectory = scratch
        let btf = KernelBTF()
        self.btf = btf
        compiler = ProbeCompiler(toolchain: toolchain, cacheRoot: cacheRoot, kernelKey: kernelKey,
                                 scratchDirectory: scratch)
        headerMilliseconds = try compiler.prepareHeaders { try btf.vmlinuxHeader() }
        events = try Self.createPrivileged {
            try KernelMap.create(type: BPF_MAP_TYPE_RINGBUF, name: Prelude.eventsMapName, keySize: 0, valueSize: 0,
                                 maxEntries: ringBufferBytes)
        }
        do {
            counters = try KernelMap.create(type: BPF_MAP_TYPE_PERCPU_ARRAY, name: Prelude.countersMapName,
                                            keySize: 4, valueSize: 8, maxEntries: Prelude.counterSlots)
        } catch {
            events.close()
            throw error
        }
        let forward = ForwardingHandler()
        do {
            stream = try EventStream(mapFD: events.fd) { probe, text in forward.handler(probe, text) }
        } catch {
            events.close()
            counters.close()
            throw error
        }
        forwarding = forward
    }

    private let forwarding: ForwardingHandler

    func setEventHandler(_ handler: @escaping EventStream.Handler) {
        forwarding.handler = handler
    }

    /// Creating the first map is where a missing privilege shows: say what is needed.
    private static func createPrivileged(_ make: () throws -> KernelMap) throws -> KernelMap {
        do {
            return try make()
        } catch let error as KernelError where error.errno == EPERM {
            if geteuid() != 0 {
                throw Diagnostic.error("bpfsh needs CAP_BPF and CAP_PERFMON (or root) to create maps and load probes",
                                       hint: "run it with sudo, or grant the capabilities: setcap cap_bpf,cap_perfmon+ep bpfsh")
            }
            let lockdown = (try? String(contentsOfFile: "/sys/kernel/security/lockdown", encoding: .utf8)) ?? ""
            var message = "the kernel refused to create a BPF map (EPERM) although bpfsh runs as root"
            if lockdown.contains("[confidentiality]") {
                message += ": kernel lockdown is in confidentiality mode, which forbids BPF tracing"
            }
            throw Diagnostic.error(message, hint: "check kernel.unprivileged_bpf_disabled, lockdown and any LSM policy")
        }
    }

    func tracefs() throws(Diagnostic) -> Tracefs {
        if let tracefsLocation { return tracefsLocation }
        let located = try Tracefs.locate()
        tracefsLocation = located
        return located
    }

    /// Counter slot summed over CPUs (hits, lost events, failed map updates).
    func counter(_ slot: Int) -> UInt64 {
        counters.sumSlot(UInt32(slot))
    }

    func close() {
        stream.close()
        events.close()
        counters.close()
        btf.close()
        try? FileManager.default.removeItem(at: scratchDirectory)
    }
}

/// Lets the ring buffer callback reach a handler that is set after the stream exists.
private final class ForwardingHandler {
    var handler: EventStream.Handler = { _, _ in }
}

/// Builds the runtime in the background and hands it over on first use.
final class RuntimeLoader {
    private let cacheRoot: URL
    private let ringBufferBytes: Int
    private var result: Result<Runtime, Error>?
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    init(cacheRoot: URL, ringBufferBytes: Int) {
        self.cacheRoot = cacheRoot
        self.ringBufferBytes = ringBufferBytes
    }

    func startInBackground() {
        guard !started else { return }
        started = true
        let cacheRoot = cacheRoot, bytes = ringBufferBytes
        Thread { [self] in
            result = Result { try Runtime(cacheRoot: cacheRoot, ringBufferBytes: bytes) }
            done.signal()
        }.start()
    }

    /// Waits for the background build; a failure is reported and tried again next time
    /// (the user may install clang or mount tracefs in between).
    func get() throws -> Runtime {
        startInBackground()
        done.wait()
        switch result {
        case let .success(runtime):
            done.signal() // later callers return at once
            return runtime
        case let .failure(error):
            started = false
            result = nil
            throw error
        case nil:
            throw Diagnostic.error("internal error: runtime missing")
        }
    }

    /// The runtime if it was built, without waiting or building.
    var builtRuntime: Runtime? {
        if case let .success(runtime) = result { return runtime }
        return nil
    }

    /// Waits for a build under way (so teardown never races it).
    func settle() {
        guard started else { return }
        done.wait()
        done.signal()
    }
}
