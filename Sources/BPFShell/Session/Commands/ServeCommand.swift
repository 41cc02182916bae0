import Foundation

/// `serve metrics [ADDR:]PORT [stacks] [--host NAME]`: every session map over HTTP at
/// /metrics (OpenMetrics, or Prometheus text by content negotiation), read at scrape
/// time; `serve stop` ends it; `serve` says where it runs.
struct ServeCommand: ShellCommand {
    static let name = "serve"
    static let needsKernel = true
    /// The endpoint belongs to the running process: `bpfsh --metrics` serves a replay.
    static let isRecorded = false
    static let summary = "serve every map at http://ADDR:PORT/metrics for Prometheus (OpenMetrics), read live at each scrape; 'serve stop' ends it"
    static let usage = "serve metrics [ADDR:]PORT [stacks] [--host NAME] | serve stop | serve   (PORT alone: 127.0.0.1; :PORT: every interface; 0: any free port)"
    static let example = "serve metrics 9100"

    enum Action {
        case start(ListenAddress, MetricsOptions)
        case stop
        case status
    }

    let action: Action

    init(_ syntax: CommandSyntax) throws {
        if let block = syntax.block {
            throw Diagnostic.error("serve takes no { } block", at: block.range, hint: "usage: \(Self.usage)")
        }
        let words = syntax.arguments
        guard let what = words.first else {
            action = .status
            return
        }
        switch what.text {
        case "stop":
            try syntax.expectArguments(1...1, usage: Self.usage)
            action = .stop
        case "metrics":
            guard words.count >= 2 else {
                throw Diagnostic.error("serve metrics needs a port to listen on", at: what.range,
                                       hint: "for example: serve metrics 9100 (loopback), or serve metrics :9100 (every interface)")
            }
            let address: ListenAddress
            do {
                address = try ListenAddress.parse(words[1].text)
            } catch let .badPort(port) {
                throw Diagnostic.error("'\(port)' is not a port: ports are 0 to 65535", at: words[1].range,
                                       hint: "for example: serve metrics 9100, or 0 for any free port")
            } catch let .badHost(host) {
                throw Diagnostic.error("'\(host)' is not an address to listen on", at: words[1].range,
                                       hint: "write ADDR:PORT, e.g. 127.0.0.1:9100, [::1]:9100, or :9100 for every interface")
            }
            var options = MetricsOptions()
            var rest = words.dropFirst(2).makeIterator()
            while let word = rest.next() {
                switch word.text {
                case "stacks", "--stacks": options.includeStacks = true
                case "--host":
                    guard let name = rest.next(), !name.text.isEmpty else {
                        throw Diagnostic.error("--host needs a name for the host label", at: word.range)
                    }
                    options.host = name.text.count >= 2 && name.text.hasPrefix("\"") && name.text.hasSuffix("\"")
                        ? String(name.text.dropFirst().dropLast()) : name.text
                default:
                    throw Diagnostic(.error, "unknown option '\(word.text)'", at: word.range,
                                     hints: [Suggestions.hint(for: word.text, in: ["stacks", "--host"]) ?? "usage: \(Self.usage)"])
                }
            }
            action = .start(address, options)
        default:
            throw Diagnostic(.error, "bpfsh serves 'metrics'; '\(what.text)' is not something it serves", at: what.range,
                             hints: [Suggestions.hint(for: what.text, in: ["metrics", "stop"]) ?? "usage: \(Self.usage)"])
        }
    }

    func execute(in session: Session, cell: Int) throws {
        switch action {
        case let .start(address, options):
            let bound = try session.startMetrics(at: address, options: options)
            let url = "http://\(bound)/metrics"
            var message = "serving metrics at \(url) (\(session.maps.count) maps, read at each scrape)"
            if !bound.isLoopback { message += "; reachable from other machines" }
            session.say(message, facts: [("url", .string(url)), ("port", .integer(String(bound.port)))])
        case .stop:
            guard let service = session.metricsService else {
                session.say("no metrics are served")
                return
            }
            let address = service.listener.boundAddress
            session.stopMetrics()
            session.say("stopped serving metrics at http://\(address)/metrics")
        case .status:
            guard let service = session.metricsService else {
                session.say("no metrics are served: 'serve metrics PORT' starts", facts: [("serving", .bool(false))])
                return
            }
            let url = "http://\(service.listener.boundAddress)/metrics"
            session.say("serving metrics at \(url)", facts: [("serving", .bool(true)), ("url", .string(url))])
        }
    }
}
