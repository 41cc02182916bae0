import CLibBPF
import Foundation

/// The session's own kernel maps: the per-CPU counters (hits, lost records, failed
/// updates) made with the first object, and — only once something prints or takes a
/// stack — the ring buffer print() writes to and the stack maps.
final class EventChannel {
    let counters: KernelMap
    /// The ring buffer and the stream that drains it, made for the first unit that prints.
    private(set) var events: KernelMap?
    private(set) var stream: EventStream?
    private var ringBufferBytes: Int
    private let forwarding = ForwardingHandler()
    /// The stack map and the pids whose stacks it holds, made when a probe first uses
    /// kstack() or ustack() (several megabytes, so not before).
    private(set) var stacks: KernelMap?
    private(set) var stackPIDs: KernelMap?

    init(ringBufferBytes: Int) throws(KernelError) {
        self.ringBufferBytes = ringBufferBytes
        counters = try Self.createPrivileged { () throws(KernelError) -> KernelMap in
            try KernelMap.create(type: BPF_MAP_TYPE_PERCPU_ARRAY, name: Prelude.countersMapName,
                                 keySize: 4, valueSize: 8, maxEntries: Prelude.counterSlots)
        }
    }

    /// The ring buffer's fd, creating it (and its reader) on first use.
    func eventsMap() throws(KernelError) -> KernelMap {
        if let events { return events }
        let created = try KernelMap.create(type: BPF_MAP_TYPE_RINGBUF, name: Prelude.eventsMapName, keySize: 0,
                                           valueSize: 0, maxEntries: ringBufferBytes)
        let forward = forwarding
        do {
            stream = try EventStream(mapFD: created.fd) { record in forward.handler(record) }
        } catch {
            created.close()
            throw error
        }
        events = created
        return created
    }

    /// `slots`: the stack map's size when this call makes it (`set stack-slots`).
    func stackMaps(slots: Int) throws(KernelError) -> (stacks: KernelMap, pids: KernelMap) {
        if let stacks, let stackPIDs { return (stacks, stackPIDs) }
        let newStacks = try KernelMap.create(type: BPF_MAP_TYPE_STACK_TRACE, name: Prelude.stacksMapName, keySize: 4,
                                             valueSize: 8 * Prelude.stackDepth, maxEntries: slots)
        let newPIDs: KernelMap
        do {
            newPIDs = try KernelMap.create(type: BPF_MAP_TYPE_LRU_HASH, name: Prelude.stackPIDsMapName, keySize: 4,
                                           valueSize: 4, maxEntries: 4096)
        } catch {
            newStacks.close()
            throw error
        }
        stacks = newStacks
        stackPIDs = newPIDs
        return (newStacks, newPIDs)
    }

    func setEventHandler(_ handler: @escaping EventHandler) {
        forwarding.handler = handler
    }

    /// Sets the ring buffer's size; one that exists is replaced (no probe may hold it).
    func resizeRingBuffer(bytes: Int) throws(KernelError) {
        let old = (events, stream)
        ringBufferBytes = bytes
        guard old.0 != nil else { return }
        events = nil
        stream = nil
        do {
            _ = try eventsMap()
        } catch {
            (events, stream) = old
            throw error
        }
        old.1?.close()
        old.0?.close()
    }

    /// Counter slot summed over CPUs (hits, lost events, failed map updates).
    func counter(_ slot: Int) -> UInt64 {
        counters.sumSlot(UInt32(slot))
    }

    /// Creating the first map is where a missing privilege shows: find the cause and say it.
    private static func createPrivileged(_ make: () throws(KernelError) -> KernelMap) throws(KernelError) -> KernelMap {
        do {
            return try make()
        } catch where error.errno == EPERM {
            var explained = error
            if geteuid() != 0 {
                explained.summary = "bpfsh needs CAP_BPF and CAP_PERFMON (or root) to create maps and load probes"
                explained.hint = "run it with sudo, or grant the capabilities: setcap cap_bpf,cap_perfmon+ep bpfsh"
                throw explained
            }
            let lockdown = KernelFile.read("/sys/kernel/security/lockdown") ?? ""
            var message = "the kernel refused to create a BPF map (EPERM) although bpfsh runs as root"
            if lockdown.contains("[confidentiality]") {
                message += ": kernel lockdown is in confidentiality mode, which forbids BPF tracing"
            }
            explained.summary = message
            explained.hint = "check kernel.unprivileged_bpf_disabled, lockdown and any LSM policy"
            throw explained
        }
    }

    func close() {
        stream?.close()
        events?.close()
        counters.close()
        stacks?.close()
        stackPIDs?.close()
    }
}

/// Lets the ring buffer callback reach a handler that is set after the stream exists.
private final class ForwardingHandler {
    var handler: EventHandler = { _ in }
}
