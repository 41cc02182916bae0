import CLibBPF
import Foundation

/// `--dry-run`: everything up to the kernel and nothing in it. Objects are opened (so a
/// broken ELF or a map without BTF still fails) but never loaded; maps get their types
/// from the object's BTF; nothing is created, attached or read. Works without root for
/// every point BTF describes; tracepoints still need tracefs, which only root reads.
public final class PlanningBackend: TracingBackend {
    public let isLive = false
    public let btf = KernelBTF()
    private let tracefs = TracefsLocation()

    public init() {
        LibBPF.installLogCapture()
    }

    public func tracepoints() throws(KernelError) -> TracepointCatalog {
        try tracefs.get()
    }

    public func createMap(named name: String, id: Int, fold: PerCPUFold, memoryLimit: MapMemoryLimit,
                          from image: CompiledImage) throws(KernelError) -> CreatedMap {
        let object = try BPFObject(elf: image.elf, name: image.name)
        defer { object.close() }
        try object.checkFootprint(ofMap: name, within: memoryLimit)
        guard let types = object.mapTypes(named: name) else { throw KernelError.noSuchMap(name) }
        return CreatedMap(handle: PlannedMap(name: name, id: id, maxEntries: object.mapMaxEntries(named: name) ?? 0),
                          keyType: types.key, valueType: types.value)
    }

    public func loadProbe(_ image: CompiledImage, number: Int, maps: [any MapHandle]) throws(KernelError) -> any ProbeHandle {
        let object = try BPFObject(elf: image.elf, name: image.name)
        object.close()
        return PlannedProbe()
    }

    public func attach(_ probe: any ProbeHandle, at points: [AttachPoint]) throws(KernelError) {}
    public func detach(_ probe: any ProbeHandle) throws(KernelError) {}
    public func unload(_ probe: any ProbeHandle) {}

    public func verifierLog(of probe: any ProbeHandle) throws(KernelError) -> String {
        "dry run: nothing was loaded, so the verifier has not seen this probe"
    }

    public func hits(of probe: any ProbeHandle) -> UInt64 { 0 }
    public func release(_ map: any MapHandle) {}
    public func entries(of map: any MapHandle) throws(KernelError) -> [RawEntry] { [] }
    public func topEntries(of map: any MapHandle, limit: Int) throws(KernelError) -> [RawEntry] { [] }
    public func clear(_ map: any MapHandle) throws(KernelError) {}
    public func counters(of map: any MapHandle) throws(KernelError) -> FlatCounters { FlatCounters(keySize: 0) }
    public func statistics(of map: any MapHandle) -> MapStatistics { MapStatistics(entries: 0, memoryBytes: nil) }
    public func failedUpdates(of map: any MapHandle) -> UInt64 { 0 }

    public func setEventHandler(_ handler: @escaping EventHandler) {}
    public func drainEvents() -> Int { 0 }

    public func waitForEvents(milliseconds: Int32) -> Int {
        usleep(useconds_t(max(milliseconds, 0)) * 1000)
        return 0
    }

    public var eventDescriptor: Int32? { nil }
    public var lostEvents: UInt64 { 0 }
    public func resizeEventBuffer(bytes: Int) throws(KernelError) {}
    public func stampEvents(_ enabled: Bool) {}
    public func stackAddresses(id: Int32) -> [UInt64]? { nil }
    public func setStackSlots(_ slots: Int) -> Bool { true }
    /// A plan's maps hold nothing: a reader of one reads no entries.
    public func concurrentReader(of map: any MapHandle) throws(KernelError) -> any ConcurrentMapReader { EmptyMapReader() }
    public func concurrentChannelReader() throws(KernelError) -> (any ConcurrentChannelReader)? { nil }
    public func stackProcessIDs() -> [UInt32] { [] }
    public var recordsProcesses: Bool { false }
    /// A dry run asks no kernel: every helper is listed.
    public func helpers(allowedAt kind: ProbeKind, among helpers: [BPFHelper]) -> [BPFHelper] { helpers }

    public func features(trials: [FeatureTrial]) -> [FeatureFinding] {
        [FeatureFinding(name: "dry run", isAvailable: false, detail: "nothing is probed without loading into the kernel")]
    }

    public func close() {
        btf.close()
    }
}

final class PlannedMap: MapHandle {
    let name: String
    let id: Int
    let maxEntries: Int

    init(name: String, id: Int, maxEntries: Int) {
        self.name = name
        self.id = id
        self.maxEntries = maxEntries
    }
}

final class PlannedProbe: ProbeHandle {
    /// Planned probes are compiled and checked, never attached.
    var isAttached: Bool { false }
}

/// The reader of a planned map, which never holds an entry.
final class EmptyMapReader: ConcurrentMapReader {
    func entries() throws(KernelError) -> [RawEntry] { [] }
}
