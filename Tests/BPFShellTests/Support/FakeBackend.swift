import Foundation
@testable import BPFShell

/// A kernel that exists only in memory: maps hold what a test puts in them, probes
/// "attach" by being marked so, and tracepoints come from fixture format files. Map
/// types still come from the compiled object's BTF (through the planning backend),
/// so everything above the kernel runs for real, without root.
final class FakeBackend: TracingBackend {
    static let fixtureTracefs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tracefs/events").path

    let isLive = true
    private let planner = PlanningBackend()
    var btf: KernelBTF { planner.btf }
    private(set) var maps: [FakeMap] = []
    private(set) var probes: [FakeProbe] = []

    func tracepoints() throws(KernelError) -> TracepointCatalog {
        Tracefs(eventsDirectory: Self.fixtureTracefs)
    }

    func createMap(named name: String, id: Int, fold: PerCPUFold, memoryLimit: MapMemoryLimit,
                   from image: CompiledImage) throws(KernelError) -> CreatedMap {
        var created = try planner.createMap(named: name, id: id, fold: fold, memoryLimit: memoryLimit, from: image)
        let map = FakeMap(name: name, id: id, maxEntries: created.handle.maxEntries)
        maps.append(map)
        created.handle = map
        return created
    }

    func loadProbe(_ image: CompiledImage, number: Int, maps: [any MapHandle]) throws(KernelError) -> any ProbeHandle {
        _ = try planner.loadProbe(image, number: number, maps: maps) // the ELF must at least open
        let probe = FakeProbe(number: number, image: image)
        probes.append(probe)
        return probe
    }

    func attach(_ probe: any ProbeHandle, at points: [AttachPoint]) throws(KernelError) {
        (probe as? FakeProbe)?.points = points
    }

    func detach(_ probe: any ProbeHandle) throws(KernelError) {
        (probe as? FakeProbe)?.points = []
    }

    func unload(_ probe: any ProbeHandle) {
        probes.removeAll { $0 === probe }
    }

    func verifierLog(of probe: any ProbeHandle) throws(KernelError) -> String { "fake: no verifier" }
    func hits(of probe: any ProbeHandle) -> UInt64 { 0 }

    func release(_ map: any MapHandle) {
        maps.removeAll { $0 === map }
    }

    func entries(of map: any MapHandle) throws(KernelError) -> [RawEntry] {
        (map as? FakeMap)?.entries ?? []
    }

    func topEntries(of map: any MapHandle, limit: Int) throws(KernelError) -> [RawEntry] {
        try entries(of: map)
    }

    func counters(of map: any MapHandle) throws(KernelError) -> FlatCounters {
        let entries = (map as? FakeMap)?.entries ?? []
        return FlatCounters(keySize: entries.first?.key.count ?? 0, keys: entries.flatMap(\.key),
                            values: entries.map { $0.value.withUnsafeBytes { $0.count >= 8 ? $0.loadUnaligned(as: UInt64.self) : 0 } })
    }

    func clear(_ map: any MapHandle) throws(KernelError) {
        (map as? FakeMap)?.entries = []
    }

    func statistics(of map: any MapHandle) -> MapStatistics {
        MapStatistics(entries: (map as? FakeMap)?.entries.count ?? 0, memoryBytes: nil)
    }

    func failedUpdates(of map: any MapHandle) -> UInt64 { 0 }
    func setEventHandler(_ handler: @escaping EventHandler) {}
    func drainEvents() -> Int { 0 }
    func waitForEvents(milliseconds: Int32) -> Int { 0 }
    var eventDescriptor: Int32? { nil }
    var lostEvents: UInt64 { 0 }
    func resizeEventBuffer(bytes: Int) throws(KernelError) {}
    func stampEvents(_ enabled: Bool) {}
    func stackAddresses(id: Int32) -> [UInt64]? { nil }
    func setStackSlots(_ slots: Int) -> Bool { true }
    func concurrentReader(of map: any MapHandle) throws(KernelError) -> any ConcurrentMapReader {
        FakeMapReader(map: map as? FakeMap)
    }
    func concurrentChannelReader() throws(KernelError) -> (any ConcurrentChannelReader)? { nil }
    func stackProcessIDs() -> [UInt32] { [] }
    var recordsProcesses: Bool { false }
    func helpers(allowedAt kind: ProbeKind, among helpers: [BPFHelper]) -> [BPFHelper] { helpers }
    func features(trials: [FeatureTrial]) -> [FeatureFinding] { [] }

    func close() {
        probes.removeAll()
        maps.removeAll()
        planner.close()
    }
}

final class FakeMap: MapHandle {
    let name: String
    let id: Int
    let maxEntries: Int
    var entries: [RawEntry] = []

    init(name: String, id: Int, maxEntries: Int) {
        self.name = name
        self.id = id
        self.maxEntries = maxEntries
    }
}

final class FakeProbe: ProbeHandle {
    let number: Int
    let image: CompiledImage
    var points: [AttachPoint] = []

    init(number: Int, image: CompiledImage) {
        self.number = number
        self.image = image
    }

    var isAttached: Bool { !points.isEmpty }
}

/// Reads a fake map's entries as they are at each read (tests read from one thread at a time).
final class FakeMapReader: ConcurrentMapReader, @unchecked Sendable {
    private weak var map: FakeMap?
    init(map: FakeMap?) { self.map = map }
    func entries() throws(KernelError) -> [RawEntry] { map?.entries ?? [] }
}
