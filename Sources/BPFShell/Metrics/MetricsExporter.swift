import Foundation

/// What a scrape reads, as the session last published it: each map with a reader of its
/// own, and what names stacks and probe points. Replaced whole after commands.
struct MetricsSnapshot: @unchecked Sendable {
    struct MapSource {
        var id: Int
        var decl: MapDecl
        var keyType: ValueType
        var valueType: ValueType
        var reader: any ConcurrentMapReader
    }

    var maps: [MapSource] = []
    var channel: (any ConcurrentChannelReader)?
    var probesAttached = 0
    var pointLabels: [UInt32: String] = [:]
    var processMaps: [UInt32: ProcessMaps] = [:]
    var keepsTracingFrames = false
}

/// What `serve metrics` was asked for besides the address.
public struct MetricsOptions: Equatable, Sendable {
    /// Stacks as a folded `stack` label (high cardinality, so only when asked).
    public var includeStacks = false
    /// A `host` label on every series (Prometheus adds `instance` on its own).
    public var host: String?

    public init(includeStacks: Bool = false, host: String? = nil) {
        self.includeStacks = includeStacks
        self.host = host
    }
}

/// Serves scrapes off the session's thread: each reads the maps through the readers of
/// the last snapshot, at scrape time (batch lookups, nothing cached in between).
///
/// Scrapes run one at a time on a queue of their own, so the prompt and a running `run`
/// never wait for one; requests that arrive while a scrape runs are answered by the next
/// one (a hundred at once cost two reads of the maps), and past `maximumWaiting` a
/// request is turned away rather than queued without bound.
public final class MetricsExporter: @unchecked Sendable {
    public static let maximumWaiting = 256
    let options: MetricsOptions
    private let lock = NSLock()
    private var snapshot = MetricsSnapshot()
    private var waiting = 0
    /// Set by `stop()`: no new scrape starts and no finished one is handed on.
    private var isStopped = false
    private let queue = DispatchQueue(label: "bpfsh.metrics.scrape")
    /// Used on `queue` only: the last scrape, when it began, and its text in each format
    /// asked for so far (requests that share a scrape share its text too).
    private var lastScrape: (started: UInt64, families: [MetricFamily], texts: [ExpositionFormat: String])?
    private let kernelSymbols = KernelSymbols()
    private let binarySymbols = BinarySymbolCache()

    init(options: MetricsOptions) {
        self.options = options
    }

    func publish(_ snapshot: MetricsSnapshot) {
        lock.withLock { self.snapshot = snapshot }
    }

    /// Stops for good: waits for a scrape in flight (it is not handed on) and releases
    /// the readers. Called before the HTTP server's threads end, so no result is posted
    /// to an event loop that is gone.
    func stop() {
        lock.withLock {
            isStopped = true
            snapshot = MetricsSnapshot()
        }
        queue.sync { lastScrape = nil }
    }

    /// Scrapes the session in `format` and hands the text to `completion` on the scrape
    /// queue. Returns false, without calling it, when too many requests already wait.
    @discardableResult
    public func scrape(format: ExpositionFormat, completion: @escaping @Sendable (String) -> Void) -> Bool {
        let arrived = DispatchTime.now().uptimeNanoseconds
        let admitted = lock.withLock { () -> Bool in
            guard !isStopped, waiting < Self.maximumWaiting else { return false }
            waiting += 1
            return true
        }
        guard admitted else { return false }
        queue.async { [self] in
            if lastScrape.map({ $0.started < arrived }) ?? true {
                let started = DispatchTime.now().uptimeNanoseconds
                lastScrape = (started, readFamilies(started: started), [:])
            }
            let text = lastScrape?.texts[format] ?? ExpositionWriter.write(lastScrape?.families ?? [], format: format)
            lastScrape?.texts[format] = text
            let (stopped, nobodyWaits) = lock.withLock { () -> (Bool, Bool) in
                waiting -= 1
                return (isStopped, waiting == 0)
            }
            // Only requests that were waiting when it began may share a scrape: with none
            // left, a million-key map's text is not kept until the next one.
            if nobodyWaits { lastScrape = nil }
            if !stopped { completion(text) }
        }
        return true
    }

    /// Reads every map and the session counters into families (on `queue`).
    private func readFamilies(started: UInt64) -> [MetricFamily] {
        let snapshot = lock.withLock { self.snapshot }
        let metrics = MapMetrics(includeStacks: options.includeStacks, hostLabel: options.host)
        let resolver = scrapeResolver(snapshot)
        var families: [MetricFamily] = []
        var entryCounts = MetricFamily(name: "bpfsh_session_map_entries", kind: .gauge, help: "keys in each session map at this scrape")
        var failures = MetricFamily(name: "bpfsh_session_map_update_failures", kind: .counter,
                                    help: "map updates dropped because the map was full")
        var readErrors = MetricFamily(name: "bpfsh_session_map_read_errors", kind: .counter,
                                      help: "maps this scrape could not read")
        var failedReads: UInt64 = 0
        for source in snapshot.maps {
            let label = [MetricFamily.Label("map", source.decl.name)]
            failures.samples.append(.init(suffix: "_total", labels: label,
                                          value: .unsigned(snapshot.channel?.failedUpdates(mapID: source.id) ?? 0)))
            guard let entries = try? source.reader.entries() else {
                failedReads += 1
                continue
            }
            entryCounts.samples.append(.init(labels: label, value: .unsigned(UInt64(entries.count))))
            let contents = MapContents.build(kind: source.decl.kind, keyType: source.keyType, valueType: source.valueType,
                                             entries: entries, selection: .init(order: .keyAscending), stacks: resolver)
            families += metrics.families(name: source.decl.name, decl: source.decl, keyType: source.keyType, contents: contents)
        }
        readErrors.samples.append(.init(suffix: "_total", labels: [], value: .unsigned(failedReads)))
        var session = [
            MetricFamily(name: "bpfsh_session_probes_attached", kind: .gauge, help: "probes attached in the session",
                         samples: [.init(labels: [], value: .unsigned(UInt64(snapshot.probesAttached)))]),
            MetricFamily(name: "bpfsh_session_events_lost", kind: .counter,
                         help: "print() records lost because the ring buffer was full",
                         samples: [.init(suffix: "_total", labels: [], value: .unsigned(snapshot.channel?.lostEvents ?? 0))]),
            failures, entryCounts, readErrors,
        ]
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        session.append(MetricFamily(name: "bpfsh_session_scrape_duration_seconds", kind: .gauge,
                                    help: "time this scrape took to read the maps", samples: [.init(labels: [], value: .real(seconds))]))
        // Session metrics keep their names; a map that collides with one is renamed.
        var all = Self.uniquelyNamed(session + families)
        if let host = options.host {
            for index in all.indices {
                for sample in all[index].samples.indices { all[index].samples[sample].labels.append(.init("host", host)) }
            }
        }
        return all
    }

    /// Stacks and probe points named off the session's thread: the exporter's own symbol
    /// caches, and process mappings as the session last saw them.
    private func scrapeResolver(_ snapshot: MetricsSnapshot) -> StackResolver {
        let channel = snapshot.channel
        let processMaps = snapshot.processMaps
        let symbolizer = StackSymbolizer(addresses: { channel?.stackAddresses(id: $0) }, kernel: kernelSymbols,
                                         files: binarySymbols, pointLabels: snapshot.pointLabels,
                                         keepsTracingFrames: snapshot.keepsTracingFrames) { processMaps[$0] }
        return options.includeStacks ? symbolizer : NamesOnlyResolver(symbolizer: symbolizer)
    }

    /// No two families may write the same sample name: a map named like another's derived
    /// series (`x_min` beside `stats<K>` map `x`, `h_count` beside histogram `h`, gauge
    /// `c_total` beside counter `c`) or like a session metric gets a numbered suffix.
    private static func uniquelyNamed(_ families: [MetricFamily]) -> [MetricFamily] {
        var taken = Set<String>()
        return families.map { family in
            var renamed = family
            var suffix = 2
            while !sampleNames(of: renamed).isDisjoint(with: taken) {
                renamed.name = "\(family.name)_\(suffix)"
                suffix += 1
            }
            taken.formUnion(sampleNames(of: renamed))
            return renamed
        }
    }

    /// The names a family writes: its own and each sample's, with the suffixes its type
    /// reserves even when no sample uses them yet.
    private static func sampleNames(of family: MetricFamily) -> Set<String> {
        let reserved: [String]
        switch family.kind {
        case .counter: reserved = ["_total", "_created"]
        case .histogram: reserved = ["_bucket", "_count", "_sum", "_created"]
        case .summary: reserved = ["_count", "_sum", "_created"]
        case .gauge: reserved = []
        }
        return Set([family.name] + (reserved + family.samples.map(\.suffix)).map { family.name + $0 })
    }
}

/// Names probe points and symbols but leaves stacks unresolved: without `stacks`
/// they are not labels, so symbolizing them would be wasted work.
private struct NamesOnlyResolver: StackResolver {
    let symbolizer: StackSymbolizer

    func frames(for stack: StackTrace) -> [String] { [] }
    func name(of reference: SymbolReference) -> String? { symbolizer.name(of: reference) }
}
