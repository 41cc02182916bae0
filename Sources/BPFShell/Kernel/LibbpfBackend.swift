import CLibBPF
import CShim
import Foundation

/// The running kernel, through libbpf: session maps created once and bound by fd into
/// every probe object that names them, probes attached link by link, print() records
/// drained from one ring buffer.
public final class LibbpfBackend: TracingBackend {
    public let isLive = true
    public let btf = KernelBTF()
    private var ringBufferBytes: Int
    private var channel: EventChannel?
    private var eventHandler: EventHandler = { _ in }
    private var maps: [LibbpfMap] = []
    private var probes: [LibbpfProbe] = []
    private let tracefs = TracefsLocation()
    private let detacher = Detacher()
    private var isClosed = false
    private var stampsEvents = false
    /// The stack map's size, until it is made (`set stack-slots`).
    private var stackSlots = Prelude.stackEntries

    public init(ringBufferBytes: Int) {
        self.ringBufferBytes = ringBufferBytes
        LibBPF.installLogCapture()
    }

    public func tracepoints() throws(KernelError) -> TracepointCatalog {
        try tracefs.get()
    }

    /// The ring buffer and counters every object binds, made on first need.
    private func eventChannel() throws(KernelError) -> EventChannel {
        if let channel { return channel }
        let created = try EventChannel(ringBufferBytes: ringBufferBytes)
        created.setEventHandler(eventHandler)
        channel = created
        return created
    }

    // MARK: Maps

    /// A unit that declares only this map is loaded, which creates the map with BTF for
    /// its key and value; the backend keeps a duplicate of its fd and closes the object.
    public func createMap(named name: String, id: Int, fold: PerCPUFold, memoryLimit: MapMemoryLimit,
                          from image: CompiledImage) throws(KernelError) -> CreatedMap {
        let object = try BPFObject(elf: image.elf, name: image.name)
        defer { object.close() }
        try object.checkFootprint(ofMap: name, within: memoryLimit)
        try bind(object)
        try object.load()
        guard let fd = object.mapFD(named: name), let types = object.mapTypes(named: name) else {
            throw KernelError.noSuchMap(name)
        }
        let kernelMap = try KernelMap.adoptingDuplicate(of: fd, name: name, operation: .createMap)
        kernelMap.fold = fold
        let map = LibbpfMap(kernelMap: kernelMap, id: id)
        maps.append(map)
        return CreatedMap(handle: map, keyType: types.key, valueType: types.value)
    }

    public func release(_ handle: any MapHandle) {
        guard let map = handle as? LibbpfMap else { return }
        maps.removeAll { $0 === map }
        map.kernelMap.close()
    }

    public func entries(of map: any MapHandle) throws(KernelError) -> [RawEntry] {
        try own(map).kernelMap.readAll()
    }

    public func topEntries(of map: any MapHandle, limit: Int) throws(KernelError) -> [RawEntry] {
        try own(map).kernelMap.topEntries(limit: limit)
    }

    public func clear(_ map: any MapHandle) throws(KernelError) {
        try own(map).kernelMap.clear()
    }

    public func counters(of map: any MapHandle) throws(KernelError) -> FlatCounters {
        try own(map).kernelMap.flatCounters()
    }

    public func statistics(of map: any MapHandle) -> MapStatistics {
        guard let map = map as? LibbpfMap else { return MapStatistics(entries: 0, memoryBytes: nil) }
        return MapStatistics(entries: map.kernelMap.entryCount(), memoryBytes: map.kernelMap.memoryBytes)
    }

    public func failedUpdates(of map: any MapHandle) -> UInt64 {
        channel?.counter(Prelude.firstMapErrorSlot + map.id) ?? 0
    }

    private func own(_ map: any MapHandle) throws(KernelError) -> LibbpfMap {
        guard let map = map as? LibbpfMap else {
            throw KernelError(.readMap, subject: "'\(map.name)'", errno: EBADF, summary: "internal error: a map of another backend")
        }
        return map
    }

    // MARK: Probes

    public func loadProbe(_ image: CompiledImage, number: Int, maps named: [any MapHandle]) throws(KernelError) -> any ProbeHandle {
        let object = try BPFObject(elf: image.elf, name: image.name)
        let bound = named.compactMap { $0 as? LibbpfMap }
        do {
            try object.setInitialValue(CUnitBuilder.probeIDSection, to: UInt32(number))
            try bind(object, maps: bound)
            try load(object, image: image)
        } catch {
            object.close()
            throw error
        }
        let probe = LibbpfProbe(number: number, image: image, object: object, maps: bound)
        probes.append(probe)
        if stampsEvents { probe.stampEvents(true) }
        return probe
    }

    public func attach(_ handle: any ProbeHandle, at points: [AttachPoint]) throws(KernelError) {
        let probe = try own(handle)
        detacher.waitUntilIdle() // a re-attach must not race the release of its old links
        var made: [BPFLink] = []
        do throws(KernelError) {
            for (point, programName) in zip(points, probe.image.programNames) {
                guard let program = probe.object.program(named: programName) else {
                    throw KernelError(.attach(point.kind), subject: programName, errno: ENOENT)
                }
                made += try AttachmentFailure.explain(point) { () throws(KernelError) in try Self.attach(program, to: point) }
            }
            probe.links = made
            try probe.setEnabled(true)
        } catch {
            made.forEach { $0.destroy() }
            probe.links = []
            throw error
        }
    }

    public func detach(_ handle: any ProbeHandle) throws(KernelError) {
        let probe = try own(handle)
        try probe.setEnabled(false)
        detacher.release(links: probe.takeLinks())
    }

    public func unload(_ handle: any ProbeHandle) {
        guard let probe = handle as? LibbpfProbe else { return }
        probes.removeAll { $0 === probe }
        // Stopped now; if the switch cannot be flipped, the links go synchronously instead.
        do {
            try probe.setEnabled(false)
        } catch {
            probe.takeLinks().forEach { $0.destroy() }
        }
        detacher.release(links: probe.takeLinks(), then: probe.object)
    }

    public func hits(of handle: any ProbeHandle) -> UInt64 {
        guard let probe = handle as? LibbpfProbe else { return 0 }
        return channel?.counter(Prelude.firstProbeSlot + probe.number - 1) ?? 0
    }

    public func verifierLog(of handle: any ProbeHandle) throws(KernelError) -> String {
        let probe = try own(handle)
        return try reloadWithVerifierLog(probe.image, maps: probe.maps, requireSuccess: true)
    }

    private func own(_ handle: any ProbeHandle) throws(KernelError) -> LibbpfProbe {
        guard let probe = handle as? LibbpfProbe else {
            throw KernelError(.loadObject, subject: "probe", errno: EBADF, summary: "internal error: a probe of another backend")
        }
        return probe
    }

    /// Binds the session's internal maps and the named session maps into an object, so
    /// loading it creates no map of its own for them.
    private func bind(_ object: BPFObject, maps bound: [LibbpfMap] = []) throws(KernelError) {
        let channel = try eventChannel()
        try object.reuse(map: Prelude.countersMapName, fd: channel.counters.fd)
        let names = Set(object.mapNames)
        if names.contains(Prelude.eventsMapName) {
            try object.reuse(map: Prelude.eventsMapName, fd: channel.eventsMap().fd)
        }
        if names.contains(Prelude.stacksMapName) {
            let stackMaps = try channel.stackMaps(slots: stackSlots)
            // reuse_fd takes the map's size from the fd: the unit's declared size does not matter.
            try object.reuse(map: Prelude.stacksMapName, fd: stackMaps.stacks.fd)
            try object.reuse(map: Prelude.stackPIDsMapName, fd: stackMaps.pids.fd)
        }
        for map in bound where names.contains(map.name) {
            try object.reuse(map: map.name, fd: map.kernelMap.fd)
        }
    }

    /// Loads through the verifier; a rejection carries the verifier's log.
    private func load(_ object: BPFObject, image: CompiledImage) throws(KernelError) {
        do {
            try object.load()
        } catch {
            var failure = error
            if error.errno == EPERM, geteuid() == 0, image.usesTrampolines {
                failure.summary = KernelFeatures.trampolinesRefused
                failure.hint = KernelFeatures.trampolineAlternatives
                throw failure
            }
            failure.verifierLog = Self.extractVerifierLog(fromLibbpfOutput: error.libbpfLog)
                ?? verifierLogOfFailedLoad(image)
            throw failure
        }
    }

    /// libbpf's own retry fails on long logs (a loop the verifier walks a million
    /// times): load again with a large buffer of ours; the kernel keeps the log's tail.
    private func verifierLogOfFailedLoad(_ image: CompiledImage) -> String? {
        guard let log = try? reloadWithVerifierLog(image, maps: [], requireSuccess: false), !log.isEmpty else { return nil }
        return log
    }

    /// Loads a fresh copy of an object with the verifier's log on and returns the log.
    /// The copy is closed at once: it is never attached.
    private func reloadWithVerifierLog(_ image: CompiledImage, maps bound: [LibbpfMap],
                                       requireSuccess: Bool) throws(KernelError) -> String {
        let object = try BPFObject(elf: image.elf, name: "bpfsh_log")
        defer { object.close() }
        let size = 16 << 20
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        defer { buffer.deallocate() }
        buffer[0] = 0
        object.requestVerifierLog(level: 1, buffer: buffer, size: size)
        try bind(object, maps: bound)
        do {
            try object.load()
        } catch where requireSuccess {
            throw error
        } catch {}
        return String(cString: buffer)
    }

    /// The verifier's log inside what libbpf printed around a failed load.
    static func extractVerifierLog(fromLibbpfOutput output: String) -> String? {
        guard let begin = output.range(of: "-- BEGIN PROG LOAD LOG --") else { return nil }
        let rest = output[begin.upperBound...]
        let end = rest.range(of: "-- END PROG LOAD LOG --")?.lowerBound ?? rest.endIndex
        return String(rest[..<end]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One link for most kinds; one per CPU for sampling kinds.
    static func attach(_ program: BPFProgram, to point: AttachPoint) throws(KernelError) -> [BPFLink] {
        switch point.target {
        case let .tracepoint(category, event):
            return [try program.attachTracepoint(category: category, event: event)]
        case let .rawTracepoint(event):
            return [try program.attachRawTracepoint(event)]
        case let .btfTracepoint(event):
            return [try program.attachTrace(kind: point.kind, target: event)]
        case let .trampoline(function, _):
            return [try program.attachTrace(kind: point.kind, target: function)]
        case let .kernelFunction(name, offset, isReturn):
            return [try program.attachKprobe(function: name, offset: offset, isReturn: isReturn)]
        case let .userFunction(binary, function, _, fileOffset, isReturn):
            // By file offset: libbpf's own lookup by name refuses versioned duplicates.
            return [try program.attachUprobe(binary: binary, label: function, fileOffset: fileOffset, isReturn: isReturn)]
        case let .usdt(binary, provider, name):
            return [try program.attachUSDT(binary: binary, provider: provider, name: name)]
        case let .perfEvent(event):
            let online = PerfEvents.onlineCPUs()
            let cpus = event.cpus == .all ? online : Array(online.prefix(1))
            var links: [BPFLink] = []
            do throws(KernelError) {
                for cpu in cpus {
                    let fd = try PerfEvents.open(event, cpu: cpu, kind: point.kind, description: point.description)
                    links.append(try program.attachPerfEvent(fd: fd, kind: point.kind, description: "\(point.description) cpu \(cpu)"))
                }
            } catch {
                links.forEach { $0.destroy() }
                throw error
            }
            return links
        }
    }

    // MARK: Events and stacks

    public func setEventHandler(_ handler: @escaping EventHandler) {
        eventHandler = handler
        channel?.setEventHandler(handler)
    }

    @discardableResult
    public func drainEvents() -> Int {
        channel?.stream?.drain() ?? 0
    }

    @discardableResult
    public func waitForEvents(milliseconds: Int32) -> Int {
        guard let stream = channel?.stream else {
            usleep(useconds_t(max(milliseconds, 0)) * 1000)
            return 0
        }
        // Records submitted without a wake-up wait for the drain after the poll.
        return stream.poll(timeoutMilliseconds: milliseconds) + stream.drain()
    }

    public var eventDescriptor: Int32? {
        guard let stream = channel?.stream, stream.epollFD >= 0 else { return nil }
        return stream.epollFD
    }

    public var lostEvents: UInt64 {
        channel?.counter(Prelude.lostEventsSlot) ?? 0
    }

    public func stampEvents(_ enabled: Bool) {
        stampsEvents = enabled
        probes.forEach { $0.stampEvents(enabled) }
    }

    public func resizeEventBuffer(bytes: Int) throws(KernelError) {
        ringBufferBytes = bytes
        try channel?.resizeRingBuffer(bytes: bytes)
    }

    public func setStackSlots(_ slots: Int) -> Bool {
        guard channel?.stacks == nil else { return false }
        stackSlots = slots
        return true
    }

    public func stackAddresses(id: Int32) -> [UInt64]? {
        channel?.stacks?.stackAddresses(id: id)
    }

    public func concurrentReader(of map: any MapHandle) throws(KernelError) -> any ConcurrentMapReader {
        try DuplicateMapReader(duplicating: own(map).kernelMap)
    }

    public func concurrentChannelReader() throws(KernelError) -> (any ConcurrentChannelReader)? {
        guard let channel else { return nil }
        return try DuplicateChannelReader(counters: channel.counters, stacks: channel.stacks)
    }

    /// The kernel is asked helper by helper (a tiny program calling it is loaded).
    public func helpers(allowedAt kind: ProbeKind, among helpers: [BPFHelper]) -> [BPFHelper] {
        let programType: bpf_prog_type
        switch kind {
        case .tracepoint: programType = BPF_PROG_TYPE_TRACEPOINT
        // BTF-typed kinds are probed as raw tracepoints (a tracing program needs a target to load).
        case .rawTracepoint, .tpBTF, .fentry, .fexit: programType = BPF_PROG_TYPE_RAW_TRACEPOINT
        case .kprobe, .kretprobe, .uprobe, .uretprobe, .usdt: programType = BPF_PROG_TYPE_KPROBE
        case .profile, .software, .hardware, .interval: programType = BPF_PROG_TYPE_PERF_EVENT
        }
        return helpers.filter { HelperProbe.allows($0.id, in: programType) }
    }

    public var recordsProcesses: Bool { channel?.stackPIDs != nil }

    public func stackProcessIDs() -> [UInt32] {
        guard let pids = channel?.stackPIDs, let entries = try? pids.readAll() else { return [] }
        return entries.map { entry in entry.key.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
    }

    // MARK: Features

    public func features(trials: [FeatureTrial]) -> [FeatureFinding] {
        FeatureProbe().run() + trials.map(tryLoading)
    }

    /// tp_btf and fentry/fexit: only a load shows whether the kernel allows them (BPF
    /// trampolines may be refused with EPERM, even to root).
    private func tryLoading(_ trial: FeatureTrial) -> FeatureFinding {
        do {
            let object = try BPFObject(elf: trial.image.elf, name: trial.image.name)
            defer { object.close() }
            try bind(object)
            try object.load()
            return FeatureFinding(name: trial.name, isAvailable: true, detail: "a \(trial.kind.rawValue):\(trial.target) program loads")
        } catch {
            return FeatureFinding(name: trial.name, isAvailable: false,
                                  detail: error.errno == EPERM ? "load refused with EPERM: no BPF trampolines here" : error.description)
        }
    }

    // MARK: Teardown

    /// Releasing a tracepoint's perf event waits out a grace period in the kernel (40 to
    /// 70 ms, one event after another), longer than all the rest of a one-probe script's
    /// run. So quit never waits for it: the programs are switched off at once, and a
    /// holder process (forked in about a millisecond) takes the release after bpfsh exits.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        let links = probes.flatMap { $0.takeLinks() }
        if !links.isEmpty || detacher.pendingLinks > 0 {
            // See bpfsh_fork_release_holder: it holds our fds, so the links destroyed
            // below are released for good only when it exits, after bpfsh.
            probes.forEach { try? $0.setEnabled(false) }
            _ = bpfsh_fork_release_holder()
        }
        detacher.waitUntilIdle()
        Detacher.destroyTogether(links)
        probes.forEach { $0.object.close() }
        probes.removeAll()
        maps.forEach { $0.kernelMap.close() }
        maps.removeAll()
        channel?.close()
        channel = nil
        btf.close()
    }

    deinit {
        close()
    }
}
