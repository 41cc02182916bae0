import Foundation

/// A session map read from another thread through a duplicate of its fd: the session may
/// drop the map meanwhile, and the kernel frees it only when this reader goes too.
/// KernelMap's reads keep no state between calls, so one reader serves any thread.
final class DuplicateMapReader: ConcurrentMapReader, @unchecked Sendable {
    private let map: KernelMap

    init(duplicating original: KernelMap) throws(KernelError) {
        map = try original.duplicate()
    }

    func entries() throws(KernelError) -> [RawEntry] {
        try map.readAll()
    }

    deinit {
        map.close()
    }
}

/// The session's counters and stack map, duplicated the same way.
final class DuplicateChannelReader: ConcurrentChannelReader, @unchecked Sendable {
    private let counters: KernelMap
    private let stacks: KernelMap?

    init(counters: KernelMap, stacks: KernelMap?) throws(KernelError) {
        self.counters = try counters.duplicate()
        do {
            self.stacks = try stacks?.duplicate()
        } catch {
            self.counters.close()
            throw error
        }
    }

    var lostEvents: UInt64 { counters.sumSlot(UInt32(Prelude.lostEventsSlot)) }

    func failedUpdates(mapID: Int) -> UInt64 {
        counters.sumSlot(UInt32(Prelude.firstMapErrorSlot + mapID))
    }

    func stackAddresses(id: Int32) -> [UInt64]? {
        stacks?.stackAddresses(id: id)
    }

    deinit {
        counters.close()
        stacks?.close()
    }
}
