import Foundation

/// `serve metrics`: a running endpoint and the readers its scrapes use.
final class MetricsService {
    let exporter: MetricsExporter
    let listener: any MetricsListener
    /// One reader per live map, by map id, made once (each holds a duplicate fd).
    var readers: [Int: any ConcurrentMapReader] = [:]
    /// What the last published snapshot was made from; republished only when it changes.
    var publishedState: PublishedState?

    struct PublishedState: Equatable {
        var mapIDs: [Int]
        var probesAttached: Int
        var hasStackMap: Bool
        var processCount: Int
        var pointCount: Int
        var keepsTracingFrames: Bool
    }

    init(exporter: MetricsExporter, listener: any MetricsListener) {
        self.exporter = exporter
        self.listener = listener
    }
}

extension Session {
    /// Starts the endpoint; one per session (a second `serve` says where the first is).
    func startMetrics(at address: ListenAddress, options: MetricsOptions) throws -> ListenAddress {
        if let running = metricsService {
            throw Diagnostic.error("metrics are already served at http://\(running.listener.boundAddress)/metrics",
                                   hint: "'serve stop' first to serve elsewhere or with other options")
        }
        guard let server = MetricsEndpoint.server else {
            throw Diagnostic.error("this bpfsh was built without an HTTP server, so it cannot serve metrics",
                                   hint: "use the bpfsh program (its MetricsHTTP module serves them)")
        }
        let exporter = MetricsExporter(options: options)
        let listener: any MetricsListener
        do {
            listener = try server.listen(on: address, exporter: exporter)
        } catch {
            throw Self.diagnostic(for: error)
        }
        metricsService = MetricsService(exporter: exporter, listener: listener)
        publishMetrics()
        return listener.boundAddress
    }

    /// Stops the endpoint and lets go of its readers (and so of dropped maps).
    func stopMetrics() {
        guard let service = metricsService else { return }
        metricsService = nil
        service.listener.close()
        service.exporter.clear()
    }

    /// Gives the endpoint the session's maps as they are now, when they changed since
    /// the last time (cheap enough to ask after every command and every drain).
    func publishMetrics() {
        guard let service = metricsService else { return }
        let state = MetricsService.PublishedState(
            mapIDs: maps.map(\.id), probesAttached: probes.filter(\.isAttached).count, hasStackMap: backend.recordsProcesses,
            processCount: processMaps.count, pointCount: pointLabels.count, keepsTracingFrames: stackFrames == .all)
        guard state != service.publishedState else { return }
        var snapshot = MetricsSnapshot()
        var readers: [Int: any ConcurrentMapReader] = [:]
        for map in maps {
            guard let reader = service.readers[map.id] ?? (try? backend.concurrentReader(of: map.handle)) else { continue }
            readers[map.id] = reader
            snapshot.maps.append(.init(id: map.id, decl: map.decl, keyType: map.keyType, valueType: map.valueType, reader: reader))
        }
        // Readers of dropped maps go with this replacement (a scrape in flight keeps its own).
        service.readers = readers
        snapshot.channel = try? backend.concurrentChannelReader()
        snapshot.probesAttached = state.probesAttached
        snapshot.pointLabels = pointLabels
        snapshot.processMaps = processMaps
        snapshot.keepsTracingFrames = state.keepsTracingFrames
        service.exporter.publish(snapshot)
        service.publishedState = state
    }

    private static func diagnostic(for error: MetricsListenError) -> Diagnostic {
        let address = error.address
        switch error.reason {
        case .addressInUse:
            return .error("cannot serve metrics on \(address): the port is in use",
                          hint: "another program (or another bpfsh) listens there; pick another port, or 0 for any free one")
        case .addressNotLocal:
            return .error("cannot serve metrics on \(address): \(address.host) is not an address of this machine",
                          hint: "name one of its addresses, 127.0.0.1 (the default), or ':\(address.port)' for all of them")
        case .permissionDenied:
            return .error("cannot serve metrics on \(address): permission denied",
                          hint: "ports below 1024 need root or CAP_NET_BIND_SERVICE")
        case .unknownHost:
            return .error("cannot serve metrics on \(address): no address is known for '\(address.host)'",
                          hint: "give an IP address, e.g. 127.0.0.1:\(address.port)")
        case let .other(message):
            return .error("cannot serve metrics on \(address): \(message)")
        }
    }
}
