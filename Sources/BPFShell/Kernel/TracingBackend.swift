/// Everything Session asks of the kernel, and nothing else: Session holds one backend
/// and never sees an fd, an errno or a libbpf type. Three serve it: `LibbpfBackend`
/// (the running kernel), `PlanningBackend` (`--dry-run`: checks and compiles, creates
/// nothing) and a fake in the tests (no root, no kernel).
///
/// Failures are `KernelError`s; Session turns them into diagnostics in one place.
public protocol TracingBackend: AnyObject {
    /// Whether maps and probes it makes really trace (false for a dry run's plan):
    /// commands that only make sense on live data are skipped, and said so, otherwise.
    var isLive: Bool { get }

    /// Kernel types, functions and BTF tracepoints, for resolving specs and `list`.
    var btf: KernelBTF { get }
    /// tracefs's tracepoints (throws when tracefs is missing or unreadable).
    func tracepoints() throws(KernelError) -> TracepointCatalog

    /// Creates a session map from an object that declares only it (its BTF types the
    /// key and value). The map lives until `close()`, whatever happens to probes.
    /// A map over `memoryLimit` is refused before anything is allocated.
    func createMap(named name: String, id: Int, fold: PerCPUFold, memoryLimit: MapMemoryLimit,
                   from object: CompiledImage) throws(KernelError) -> CreatedMap
    /// Loads a probe's object with every session map it names bound to the live map.
    func loadProbe(_ image: CompiledImage, number: Int, maps: [any MapHandle]) throws(KernelError) -> any ProbeHandle
    /// Attaches each program to its point (program names in the order of the points);
    /// on failure nothing stays attached.
    func attach(_ probe: any ProbeHandle, at points: [AttachPoint]) throws(KernelError)
    /// Stops the probe at once (its in-kernel switch), then detaches off the prompt.
    func detach(_ probe: any ProbeHandle) throws(KernelError)
    /// Stops, detaches and unloads; the maps it wrote to stay.
    func unload(_ probe: any ProbeHandle)
    /// The verifier's log for a loaded probe (loads a copy with logging on).
    func verifierLog(of probe: any ProbeHandle) throws(KernelError) -> String
    /// How many times the probe ran.
    func hits(of probe: any ProbeHandle) -> UInt64

    /// Frees a session map no loaded probe is bound to.
    func release(_ map: any MapHandle)
    func entries(of map: any MapHandle) throws(KernelError) -> [RawEntry]
    /// The `limit` entries with the largest u64 counter values (others are not kept).
    func topEntries(of map: any MapHandle, limit: Int) throws(KernelError) -> [RawEntry]
    /// A u64-valued map's keys and values in flat arrays (per-CPU values summed).
    func counters(of map: any MapHandle) throws(KernelError) -> FlatCounters
    func clear(_ map: any MapHandle) throws(KernelError)
    func statistics(of map: any MapHandle) -> MapStatistics
    /// Updates dropped because the map was full, since the session began.
    func failedUpdates(of map: any MapHandle) -> UInt64

    /// print() records: handed to `handler` as they are drained.
    func setEventHandler(_ handler: @escaping EventHandler)
    /// Consumes waiting records without blocking; returns how many.
    @discardableResult func drainEvents() -> Int
    /// Waits up to `milliseconds` for records, then drains; returns how many.
    @discardableResult func waitForEvents(milliseconds: Int32) -> Int
    /// A descriptor that turns readable when records wait (nil before the first print()).
    var eventDescriptor: Int32? { get }
    /// print() records dropped because the ring buffer was full, since the session began.
    var lostEvents: UInt64 { get }
    /// Whether print() records carry the kernel's clock (off saves a helper call per line),
    /// for every probe loaded now and later.
    func stampEvents(_ enabled: Bool)
    /// A new ring buffer size; only while no probe is loaded.
    func resizeEventBuffer(bytes: Int) throws(KernelError)

    /// The stack map's number of slots; false once the map exists (a probe took a stack).
    func setStackSlots(_ slots: Int) -> Bool
    /// The addresses of a stack kstack()/ustack() recorded (nil when it is gone).
    func stackAddresses(id: Int32) -> [UInt64]?
    /// The pids whose user stacks were recorded (their mappings are read while they live).
    func stackProcessIDs() -> [UInt32]
    /// Whether a probe records such pids, so the shell must look while it waits for input.
    var recordsProcesses: Bool { get }
    /// Which of the helpers (name, id) a probe of this kind may call, by asking the kernel.
    func helpers(allowedAt kind: ProbeKind, among helpers: [BPFHelper]) -> [BPFHelper]

    /// What this kernel supports, found by trying; `trials` are compiled minimal
    /// programs whose load shows whether BTF-attached kinds work.
    func features(trials: [FeatureTrial]) -> [FeatureFinding]

    /// A reader of the map for another thread (the metrics endpoint). It holds the map
    /// by its own reference, so a scrape that races `release` still reads, and the kernel
    /// frees the map when the reader goes too.
    func concurrentReader(of map: any MapHandle) throws(KernelError) -> any ConcurrentMapReader
    /// The session's counters and stacks for another thread (nil before the first map).
    func concurrentChannelReader() throws(KernelError) -> (any ConcurrentChannelReader)?

    /// Releases every link, program and map, links first and all at once.
    func close()
}

/// Reads one session map from any thread; every call is a fresh read of the kernel's.
public protocol ConcurrentMapReader: AnyObject, Sendable {
    func entries() throws(KernelError) -> [RawEntry]
}

/// Reads the session-wide counters and the stack map from any thread.
public protocol ConcurrentChannelReader: AnyObject, Sendable {
    var lostEvents: UInt64 { get }
    func failedUpdates(mapID: Int) -> UInt64
    func stackAddresses(id: Int32) -> [UInt64]?
}

/// Receives one print() record (its text is valid during the call only).
public typealias EventHandler = (_ record: EventRecord) -> Void

/// One print() record as the kernel wrote it.
public struct EventRecord {
    /// The probe number of a record that only names a process whose stack was just
    /// recorded for the first time (its mappings are to be read now, while it lives).
    public static let processAnnouncement = 0xffff_ffff

    public var probeNumber: Int
    /// CLOCK_MONOTONIC when print() ran.
    public var nanoseconds: UInt64
    /// Stacks given to print() as arguments (-1: none), to show under the line.
    public var kernelStack: Int32
    public var userStack: Int32
    public var userStackPID: UInt32
    public var text: UnsafeRawBufferPointer
}

/// How the per-CPU copies of a value become the one a user sees.
public enum PerCPUFold: Sendable {
    /// u64 counters (count, hist): added up.
    case sumCounters
    /// stats records: counts and sums added, extremes of the CPUs that saw a value.
    case stats
}

/// A compiled object and the names the compiler gave its programs.
public struct CompiledImage: Sendable {
    public var elf: [UInt8]
    /// The name the object carries in the kernel's lists and in errors.
    public var name: String
    /// One per attach point, in order.
    public var programNames: [String]
    /// The probe kind its programs are (nil for an object that only declares maps).
    public var kind: ProbeKind?

    public init(elf: [UInt8], name: String, programNames: [String] = [], kind: ProbeKind? = nil) {
        self.elf = elf
        self.name = name
        self.programNames = programNames
        self.kind = kind
    }
}

/// A session map as the backend keeps it.
public protocol MapHandle: AnyObject {
    var name: String { get }
    /// The session-wide number its failed-update counter uses.
    var id: Int { get }
    var maxEntries: Int { get }
}

/// A loaded probe as the backend keeps it.
public protocol ProbeHandle: AnyObject {
    var isAttached: Bool { get }
}

/// A created map and the types its BTF gives its keys and values.
public struct CreatedMap {
    public var handle: any MapHandle
    public var keyType: ValueType
    public var valueType: ValueType
}

public struct MapStatistics: Sendable {
    /// Keys present (for arrays: every slot).
    public var entries: Int
    /// What the kernel charges for it, when it says.
    public var memoryBytes: Int?
}

/// A minimal program for a BTF-attached kind (tp_btf, fentry): only loading it tells.
public struct FeatureTrial: Sendable {
    public var name: String
    public var kind: ProbeKind
    public var target: String
    public var image: CompiledImage

    public init(name: String, kind: ProbeKind, target: String, image: CompiledImage) {
        self.name = name
        self.kind = kind
        self.target = target
        self.image = image
    }
}

public struct FeatureFinding: Sendable {
    public var name: String
    public var isAvailable: Bool
    public var detail: String

    public init(name: String, isAvailable: Bool, detail: String) {
        self.name = name
        self.isAvailable = isAvailable
        self.detail = detail
    }
}
