import CLibBPF
import Foundation

/// The session's own kernel maps: the ring buffer print() writes to, the per-CPU
/// counters (hits, lost records, failed updates), the stack maps, and the stream
/// that drains the ring buffer.
final class EventChannel {
    private(set) var events: KernelMap
    let counters: KernelMap
    private(set) var stream: EventStream
    private let forwarding = ForwardingHandler()
    /// The stack map and the pids whose stacks it holds, made when a probe first uses
    /// kstack() or ustack() (several megabytes, so not before).
    private(set) var stacks: KernelMap?
    private(set) var stackPIDs: KernelMap?

    init(ringBufferBytes: Int) throws(KernelError) {
        events = try Self.createPrivileged { () throws(KernelError) -> KernelMap in
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

    func stackMaps() throws(KernelError) -> (stacks: KernelMap, pids: KernelMap) {
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

    func setEventHandler(_ handler: @escaping EventHandler) {
        forwarding.handler = handler
    }

    /// Swaps in a ring buffer of another size (no probe may hold the old one).
    func replaceRingBuffer(bytes: Int) throws(KernelError) {
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
        stream.close()
        events.close()
        counters.close()
        stacks?.close()
        stackPIDs?.close()
    }
}

/// Lets the ring buffer callback reach a handler that is set after the stream exists.
private final class ForwardingHandler {
    var handler: EventHandler = { _, _ in }
}
