import CLibBPF
import Foundation

/// A session map: its kernel map, kept for the whole session.
final class LibbpfMap: MapHandle {
    let kernelMap: KernelMap
    let id: Int

    init(kernelMap: KernelMap, id: Int) {
        self.kernelMap = kernelMap
        self.id = id
    }

    var name: String { kernelMap.name }
    var maxEntries: Int { kernelMap.maxEntries }
}

/// A loaded probe: its object, the maps bound into it and its links while attached.
final class LibbpfProbe: ProbeHandle {
    let number: Int
    let image: CompiledImage
    let object: BPFObject
    let maps: [LibbpfMap]
    var links: [BPFLink] = []

    init(number: Int, image: CompiledImage, object: BPFObject, maps: [LibbpfMap]) {
        self.number = number
        self.image = image
        self.object = object
        self.maps = maps
    }

    var isAttached: Bool { !links.isEmpty }

    /// Stops (false) or resumes (true) the programs at once through their in-kernel switch.
    func setEnabled(_ enabled: Bool) throws(KernelError) {
        try object.setSectionValue(CUnitBuilder.enabledSection, to: enabled ? 1 : 0)
    }

    /// Turns print()'s clock on or off; objects that do not print have no such switch.
    func stampEvents(_ enabled: Bool) {
        try? object.setSectionValue(CUnitBuilder.timestampSection, to: enabled ? 1 : 0)
    }

    /// Hands the links over for destruction (the caller decides on which thread).
    func takeLinks() -> [BPFLink] {
        defer { links = [] }
        return links
    }
}

/// Destroys links and closes objects off the prompt: detaching a tracepoint waits for
/// an RCU grace period (50–80 ms), which `drop` should not make the user sit through.
final class Detacher {
    private let queue = DispatchQueue(label: "bpfsh.detach")
    private let lock = NSLock()
    private var pending = 0

    /// Links handed over and not destroyed yet.
    var pendingLinks: Int { lock.withLock { pending } }

    func release(links: [BPFLink], then object: BPFObject? = nil) {
        lock.withLock { pending += links.count }
        queue.async { [self] in
            Self.destroyTogether(links)
            object?.close()
            lock.withLock { pending -= links.count }
        }
    }

    /// Destroys links on threads of their own, all at once: each thread only sleeps in
    /// the kernel waiting for a grace period, and concurrent waiters share one, so 20
    /// probes cost about one wait instead of twenty (concurrentPerform would run only
    /// as many at a time as there are cores).
    static func destroyTogether(_ links: [BPFLink]) {
        guard links.count > 1 else {
            links.first?.destroy()
            return
        }
        // At most 64 threads: a 360-point wildcard waits about six grace periods.
        let perThread = (links.count + 63) / 64
        let group = DispatchGroup()
        for batch in stride(from: 0, to: links.count, by: perThread).map({ Array(links[$0..<min($0 + perThread, links.count)]) }) {
            group.enter()
            Thread {
                batch.forEach { $0.destroy() }
                group.leave()
            }.start()
        }
        group.wait()
    }

    func waitUntilIdle() {
        queue.sync {}
    }
}

/// Finds the cause of a failed attach before speaking: a missing kernel feature is
/// named as such, with what works instead.
enum AttachmentFailure {
    static func explain<T>(_ point: AttachPoint, _ attach: () throws(KernelError) -> T) throws(KernelError) -> T {
        do {
            return try attach()
        } catch {
            var explained = error
            switch point.target {
            case .kernelFunction where !KernelFeatures.kprobesAvailable:
                explained.summary = KernelFeatures.kprobesMissing
                explained.hint = KernelFeatures.kprobesAlternatives
            case .userFunction where !KernelFeatures.uprobesAvailable, .usdt where !KernelFeatures.uprobesAvailable:
                explained.summary = KernelFeatures.uprobesMissing
            case .userFunction where error.errno == 524:
                // ENOTSUPP from uprobe_register: x86 cannot single-step some instructions
                // out of line (lock-prefixed ones among them), so no probe goes on them.
                explained.hint = "the kernel cannot place a uprobe on the instruction at that address (some x86 instructions, "
                    + "such as lock-prefixed ones, cannot be probed): try SYMBOL+OFFSET at a later instruction"
            default:
                if explained.hint == nil, error.errno == ENOENT {
                    explained.hint = "the probe point disappeared or is not available on this kernel"
                } else if explained.hint == nil, error.errno == EBUSY {
                    explained.hint = "another program holds this attach point exclusively"
                }
            }
            throw explained
        }
    }
}

extension CompiledImage {
    /// fentry/fexit programs: their EPERM means no BPF trampolines, not a missing privilege.
    var usesTrampolines: Bool { kind == .fentry || kind == .fexit }
}
