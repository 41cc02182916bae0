import CLibBPF
import Foundation

/// What compiling needs before the first map or probe: a compiler with warm headers,
/// the kernel's BTF and tracefs. Built on a background thread at start-up so the
/// prompt appears at once; nothing here creates kernel objects (`--dry-run` uses it).
final class Runtime {
    let compiler: ProbeCompiler
    let btf: KernelBTF
    let scratchDirectory: URL
    /// Milliseconds spent generating vmlinux.h and the precompiled prelude (0 when cached).
    let headerMilliseconds: Double
    private var tracefsLocation: Tracefs?

    init(cacheRoot: URL) throws {
        let toolchain = try ClangToolchain.locate()
        let kernelKey = try KernelBTF.identity()
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("bpfsh-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        scratchDirectory = scratch
        let btf = KernelBTF()
        self.btf = btf
        compiler = ProbeCompiler(toolchain: toolchain, cacheRoot: cacheRoot, kernelKey: kernelKey,
                                 scratchDirectory: scratch)
        do {
            headerMilliseconds = try compiler.prepareHeaders { try btf.vmlinuxHeader() }
        } catch {
            try? FileManager.default.removeItem(at: scratch)
            throw error
        }
    }

    func tracefs() throws(Diagnostic) -> Tracefs {
        if let tracefsLocation { return tracefsLocation }
        let located = try Tracefs.locate()
        tracefsLocation = located
        return located
    }

    func close() {
        btf.close()
        try? FileManager.default.removeItem(at: scratchDirectory)
    }
}

/// The session's own kernel maps: the ring buffer print() writes to, the per-CPU
/// counters (hits, lost records, failed updates), and the stream that drains them.
final class EventChannel {
    private(set) var events: KernelMap
    let counters: KernelMap
    private(set) var stream: EventStream
    private let forwarding = ForwardingHandler()
    /// The stack map and the pids whose stacks it holds, made when a probe first uses
    /// kstack() or ustack() (several megabytes, so not before).
    private(set) var stacks: KernelMap?
    private(set) var stackPIDs: KernelMap?

    func stackMaps() throws -> (stacks: KernelMap, pids: KernelMap) {
        if let stacks, let stackPIDs { return (stacks, stackPIDs) }
        let newStacks = try KernelMap.create(type: BPF_MAP_TYPE_STACK_TRACE, name: Prelude.stacksMapName, keySize: 4,
                                             valueSize: 8 * Prelude.stackDepth, maxEntries: Prelude.stackEntries)
        let newPIDs: KernelMap
        do {
            newPIDs = try KernelMap.create(type: BPF_MAP_TYPE_LRU_HASH, name: Prelude.stackPIDsMapName, keySize: 4,
                                           valueSize: 1, maxEntries: 4096)
        } catch {
            newStacks.close()
            throw error
        }
        stacks = newStacks
        stackPIDs = newPIDs
        return (newStacks, newPIDs)
    }

    init(ringBufferBytes: Int) throws {
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
        let forward = forwarding
        do {
            stream = try EventStream(mapFD: events.fd) { probe, text in forward.handler(probe, text) }
        } catch {
            events.close()
            counters.close()
            throw error
        }
    }

    func setEventHandler(_ handler: @escaping EventStream.Handler) {
        forwarding.handler = handler
    }

    /// Swaps in a ring buffer of another size (no probe may hold the old one).
    func replaceRingBuffer(bytes: Int) throws {
        let newEvents = try KernelMap.create(type: BPF_MAP_TYPE_RINGBUF, name: Prelude.eventsMapName, keySize: 0,
                                             valueSize: 0, maxEntries: bytes)
        let forward = forwarding
        let newStream: EventStream
        do {
            newStream = try EventStream(mapFD: newEvents.fd) { probe, text in forward.handler(probe, text) }
        } catch {
            newEvents.close()
            throw error
        }
        stream.close()
        events.close()
        events = newEvents
        stream = newStream
    }

    /// Counter slot summed over CPUs (hits, lost events, failed map updates).
    func counter(_ slot: Int) -> UInt64 {
        counters.sumSlot(UInt32(slot))
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
            let lockdown = KernelFile.read("/sys/kernel/security/lockdown") ?? ""
            var message = "the kernel refused to create a BPF map (EPERM) although bpfsh runs as root"
            if lockdown.contains("[confidentiality]") {
                message += ": kernel lockdown is in confidentiality mode, which forbids BPF tracing"
            }
            throw Diagnostic.error(message, hint: "check kernel.unprivileged_bpf_disabled, lockdown and any LSM policy")
        }
    }

    func close() {
        stream.close()
        events.close()
        counters.close()
        stacks?.close()
        stackPIDs?.close()
    }
}

/// Lets the ring buffer callback reach a handler that is set after the stream exists.
private final class ForwardingHandler {
    var handler: EventStream.Handler = { _, _ in }
}

/// Builds the runtime in the background and hands it over on first use.
final class RuntimeLoader {
    private let cacheRoot: URL
    private var result: Result<Runtime, Error>?
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    init(cacheRoot: URL) {
        self.cacheRoot = cacheRoot
    }

    func startInBackground() {
        guard !started else { return }
        started = true
        let cacheRoot = cacheRoot
        Thread { [self] in
            result = Result { try Runtime(cacheRoot: cacheRoot) }
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
