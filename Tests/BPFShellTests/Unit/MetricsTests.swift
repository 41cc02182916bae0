import Foundation
import Testing
@testable import BPFShell

/// The exposition formats and how each map kind becomes metric families (no kernel).
struct MetricsTests {
    @Test func countersNameTheirTotalPerFormat() {
        let family = MetricFamily(name: "bpfsh_calls", kind: .counter, help: "bpfsh map calls: count<comm_t>",
                                  samples: [.init(suffix: "_total", labels: [.init("comm", "ba\"sh\\x\ny")], value: .unsigned(25))])
        let open = ExpositionWriter.write([family], format: .openMetrics)
        #expect(open == """
        # HELP bpfsh_calls bpfsh map calls: count<comm_t>
        # TYPE bpfsh_calls counter
        bpfsh_calls_total{comm="ba\\"sh\\\\x\\ny"} 25
        # EOF

        """)
        let text = ExpositionWriter.write([family], format: .prometheusText)
        #expect(text.hasPrefix("# HELP bpfsh_calls_total bpfsh map calls: count<comm_t>\n# TYPE bpfsh_calls_total counter\n"))
        #expect(!text.contains("# EOF"))
    }

    @Test func acceptHeaderChoosesTheFormat() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        #expect(ExpositionFormat.negotiate(accept: prometheus) == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: "text/plain") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: nil) == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text; q=0") == .prometheusText)
    }

    @Test func listenAddresses() throws {
        #expect(try ListenAddress.parse("9100") == ListenAddress(host: "127.0.0.1", port: 9100))
        #expect(try ListenAddress.parse(":9100") == ListenAddress(host: "0.0.0.0", port: 9100))
        #expect(try ListenAddress.parse("10.0.0.5:80") == ListenAddress(host: "10.0.0.5", port: 80))
        #expect(try ListenAddress.parse("[::1]:9100") == ListenAddress(host: "::1", port: 9100))
        #expect(throws: ListenAddress.ParseError.badPort("70000")) { try ListenAddress.parse("70000") }
        #expect(throws: ListenAddress.ParseError.badPort("x")) { try ListenAddress.parse("localhost:x") }
        #expect(throws: ListenAddress.ParseError.badHost("::1:9100")) { try ListenAddress.parse("::1:9100") }
        #expect(ListenAddress(host: "::1", port: 1).description == "[::1]:1")
    }

    /// Log2 buckets follow the declaration (62 finite bounds and +Inf), cumulative, so
    /// hosts and scrapes line up; a bucket counts toward the first bound at its high end.
    @Test func log2HistogramHasAFixedCumulativeLayout() throws {
        let histogram = Histogram.log2(slots: [0: 2, 3: 5, 63: 1])
        let families = MapMetrics(includeStacks: false, hostLabel: nil)
            .families(name: "lat", decl: MapDecl(name: "lat", kind: .hist(key: nil)), keyType: .u32, contents: .histogram(histogram))
        let family = try #require(families.first)
        #expect(family.kind == .histogram && family.name == "bpfsh_lat")
        let buckets = family.samples.filter { $0.suffix == "_bucket" }
        #expect(buckets.count == 63)
        func bucket(_ le: String) -> MetricValue? { buckets.first { $0.labels == [.init("le", le)] }?.value }
        #expect(bucket("1") == .unsigned(2))
        #expect(bucket("7") == .unsigned(2))
        #expect(bucket("15") == .unsigned(7))
        #expect(bucket("4611686018427387903") == .unsigned(7))
        #expect(bucket("+Inf") == .unsigned(8))
        #expect(family.samples.last == .init(suffix: "_count", labels: [], value: .unsigned(8)))
        #expect(!family.samples.contains { $0.suffix == "_sum" })
    }

    @Test func linearHistogramBoundsComeFromMinMaxStep() throws {
        let histogram = Histogram.linear(slots: [0: 1, 1: 2, 3: 4, 5: 3], min: 0, max: 40, step: 10)
        let family = try #require(MapMetrics(includeStacks: false, hostLabel: nil)
            .families(name: "sizes", decl: MapDecl(name: "sizes", kind: .lhist(min: 0, max: 40, step: 10)), keyType: .u32,
                      contents: .histogram(histogram)).first)
        let buckets = family.samples.filter { $0.suffix == "_bucket" }.map { ($0.labels[0].value, $0.value) }
        #expect(buckets.map(\.0) == ["-1", "9", "19", "29", "39", "+Inf"])
        #expect(buckets.map(\.1) == [.unsigned(1), .unsigned(3), .unsigned(3), .unsigned(7), .unsigned(7), .unsigned(10)])
    }

    /// Struct keys give one label per field; stacks are left out unless asked, and the
    /// series that then share labels are added up.
    @Test func structKeysAndStacksAsLabels() throws {
        let kernelStack = ValueType.named("kstack_t", .record(.init(name: "", size: 4, fields: [])))
        let keyType = ValueType.record(.init(name: "key", size: 24, fields: [
            .init(name: "comm", bitOffset: 0, type: .named("comm_t", .opaque(size: 16))),
            .init(name: "stack", bitOffset: 128, type: kernelStack),
        ]))
        func row(_ comm: String, _ frames: [String], _ count: UInt64) -> MapContents.Row {
            .init(key: .record([.init("comm", .string(comm)), .init("stack", .stack(StackTrace(isUser: false, id: 1, pid: nil, frames: frames)))]),
                  value: .unsigned(count))
        }
        let table = MapContents.Table(keyType: keyType, valueType: .u64, valueLabel: "count",
                                      rows: [row("bash", ["inner", "outer"], 3), row("bash", ["other"], 4), row("cat", ["x"], 1)])
        let decl = MapDecl(name: "stacks", kind: .count(key: "struct key"))
        let merged = try #require(MapMetrics(includeStacks: false, hostLabel: nil)
            .families(name: "stacks", decl: decl, keyType: keyType, contents: .table(table)).first)
        #expect(merged.samples == [.init(suffix: "_total", labels: [.init("comm", "bash")], value: .unsigned(7)),
                                   .init(suffix: "_total", labels: [.init("comm", "cat")], value: .unsigned(1))])
        let withStacks = try #require(MapMetrics(includeStacks: true, hostLabel: nil)
            .families(name: "stacks", decl: decl, keyType: keyType, contents: .table(table)).first)
        #expect(withStacks.samples.first?.labels == [.init("comm", "bash"), .init("stack", "outer;inner")])
        #expect(MetricLabels.scalarName(.named("comm_t", .opaque(size: 16))) == "comm")
        #expect(MetricLabels.scalarName(.u32) == "key")
        #expect(MetricLabels.scalarName(.named("__u64", .u64)) == "key")
        #expect(MetricLabels.scalarName(.named("pid_t", .u32)) == "pid")
        #expect(MetricLabels.sanitized("__pad") == "pad")
    }

    @Test func statsBecomeASummaryWithMinAndMaxGauges() throws {
        let value = Value.record([.init("count", .unsigned(3)), .init("sum", .signed(30)), .init("min", .signed(-2)),
                                  .init("max", .signed(20)), .init("avg", .signed(10))])
        let table = MapContents.Table(keyType: .u32, valueType: .u64, valueLabel: "value",
                                      rows: [.init(key: .unsigned(7), value: value)])
        let families = MapMetrics(includeStacks: false, hostLabel: nil)
            .families(name: "sz", decl: MapDecl(name: "sz", kind: .stats(key: "u32", shows: .all)), keyType: .u32, contents: .table(table))
        #expect(families.map(\.name) == ["bpfsh_sz", "bpfsh_sz_min", "bpfsh_sz_max"])
        #expect(families[0].kind == .summary)
        #expect(families[0].samples.map(\.suffix) == ["_count", "_sum"])
        #expect(families[1].samples.first?.value == .signed(-2))
        let text = ExpositionWriter.write(families, format: .prometheusText)
        #expect(text.contains("bpfsh_sz_count{key=\"7\"} 3\nbpfsh_sz_sum{key=\"7\"} 30\n"))
    }

    /// Scrapes read at scrape time through the published readers; a dropped map's
    /// reader still reads until the next snapshot replaces it.
    @Test func exporterReadsPublishedMapsAtScrapeTime() async throws {
        let backend = FakeBackend()
        let exporter = MetricsExporter(options: MetricsOptions(host: "web1"))
        let map = FakeMap(name: "calls", id: 1, maxEntries: 16)
        let reader = try backend.concurrentReader(of: map)
        var snapshot = MetricsSnapshot()
        snapshot.maps = [.init(id: 1, decl: MapDecl(name: "calls", kind: .count(key: "u32")), keyType: .u32, valueType: .u64,
                               reader: reader)]
        exporter.publish(snapshot)
        func scrape() async -> String {
            await withCheckedContinuation { continuation in
                #expect(exporter.scrape(format: .openMetrics) { continuation.resume(returning: $0) })
            }
        }
        map.entries = [RawEntry(key: [7, 0, 0, 0], value: [5, 0, 0, 0, 0, 0, 0, 0])]
        let first = await scrape()
        #expect(first.contains("bpfsh_calls_total{key=\"7\",host=\"web1\"} 5\n"), "\(first)")
        map.entries = [RawEntry(key: [7, 0, 0, 0], value: [9, 0, 0, 0, 0, 0, 0, 0])]
        let second = await scrape()
        #expect(second.contains("bpfsh_calls_total{key=\"7\",host=\"web1\"} 9\n"))
        #expect(second.contains("bpfsh_session_map_entries{map=\"calls\",host=\"web1\"} 1\n"))
        #expect(second.hasSuffix("# EOF\n"))
        exporter.stop()
        #expect(!exporter.scrape(format: .openMetrics) { _ in Issue.record("a stopped exporter answered") })
    }
}
