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
        /// Bumped whenever processes' mappings or probe points' names change (an exec
        /// replaces a pid's mappings without changing how many there are).
        var namesGeneration: Int
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

    /// `bpfsh --metrics [ADDR:]PORT`: serves before the first command, as `serve metrics`
    /// would, but is no cell of the session (not in history, notebooks or cell numbers).
    public func serveMetrics(_ address: String) -> Bool {
        let text = "serve metrics " + address
        let source = SourceContext(sourceName: "--metrics", text: text, lineOffset: 0)
        guard case let .complete(commands) = CommandParser.parse(text), let syntax = commands.first, commands.count == 1 else {
            report(.error("'\(address)' is not an address to listen on", hint: "--metrics takes [ADDR:]PORT, e.g. 9100 or :9100"), source: source)
            return false
        }
        currentCommand = ServeCommand.name
        if isDryRun {
            say("dry run: metrics are not served")
            return true
        }
        do {
            try ServeCommand(syntax).execute(in: self, cell: 0)
        } catch let diagnostic as Diagnostic {
            report(diagnostic, source: source)
            return false
        } catch {
            report(.error("cannot serve metrics: \(error)"), source: source)
            return false
        }
        presenter.flush()
        // What it printed belongs to no cell.
        _ = presenter.takeTranscript()
        return true
    }

    /// Stops the endpoint and lets go of its readers (and so of dropped maps).
    func stopMetrics() {
        guard let service = metricsService else { return }
        metricsService = nil
        // The exporter first: a scrape in flight finishes unanswered before the HTTP
        // server's threads end (its answer would go to an event loop that is gone).
        service.exporter.stop()
        service.listener.close()
    }

    /// Gives the endpoint the session's maps as they are now, when they changed since
    /// the last time (cheap enough to ask after every command and every drain).
    func publishMetrics() {
        guard let service = metricsService else { return }
        let state = MetricsService.PublishedState(
            mapIDs: maps.map(\.id), probesAttached: probes.filter(\.isAttached).count, hasStackMap: backend.recordsProcesses,
            namesGeneration: namesGeneration, keepsTracingFrames: stackFrames == .all)
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
                          hint: geteuid() == 0 ? "bpfsh runs as root, so a security policy (SELinux, AppArmor, a seccomp filter) forbids it"
                              : "ports below net.ipv4.ip_unprivileged_port_start (1024) need root or CAP_NET_BIND_SERVICE")
        case .unknownHost:
            return .error("cannot serve metrics on \(address): no address is known for '\(address.host)'",
                          hint: "give an IP address, e.g. 127.0.0.1:\(address.port)")
        case let .other(message):
            return .error("cannot serve metrics on \(address): \(message)")
        }
    }
}
