import BPFShell
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The metrics endpoint over SwiftNIO's HTTP/1.1 server: GET /metrics answers with a
/// scrape, / with a pointer to it. One event loop thread is plenty for scrapers; the
/// scrape itself runs on the exporter's queue, so the loop never waits on the kernel.
public struct NIOMetricsServer: MetricsHTTPServer {
    /// Connections beyond this are closed at once (a scrape storm cannot take every fd).
    public static let maximumConnections = 512
    /// A connection that sends nothing for this long is closed (a stalled client).
    public static let idleTimeout = TimeAmount.seconds(30)

    public init() {}

    public func listen(on address: ListenAddress, exporter: MetricsExporter) throws(MetricsListenError) -> any MetricsListener {
        let group = Self.withSignalsBlocked { MultiThreadedEventLoopGroup(numberOfThreads: 1) }
        let connections = NIOLockedValueBox(0)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let admitted = connections.withLockedValue { count -> Bool in
                    guard count < Self.maximumConnections else { return false }
                    count += 1
                    return true
                }
                guard admitted else { return channel.close() }
                channel.closeFuture.whenComplete { _ in connections.withLockedValue { $0 -= 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: Self.idleTimeout))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(MetricsRequestHandler(exporter: exporter))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        do {
            let channel = try bootstrap.bind(host: address.host, port: address.port).wait()
            let port = channel.localAddress?.port ?? address.port
            return NIOMetricsListener(channel: channel, group: group, bound: ListenAddress(host: address.host, port: port))
        } catch {
            try? group.syncShutdownGracefully()
            throw MetricsListenError(Self.reason(for: error), address: address)
        }
    }

    /// Runs `make` with SIGINT, SIGTERM and SIGHUP blocked, so threads it starts inherit
    /// the mask: the shell's signals (Ctrl-C ends a `run`) reach its own threads.
    private static func withSignalsBlocked<T>(_ make: () -> T) -> T {
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&blocked, signal) }
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return make()
    }

    private static func reason(for error: Error) -> MetricsListenError.Reason {
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: return .addressInUse
            case EADDRNOTAVAIL: return .addressNotLocal
            case EACCES, EPERM: return .permissionDenied
            default: return .other(String(describing: io))
            }
        }
        if error is SocketAddressError { return .unknownHost }
        return .other(String(describing: error))
    }
}

/// A listening channel and its thread; `close()` waits for both to end.
final class NIOMetricsListener: MetricsListener {
    let boundAddress: ListenAddress
    private let channel: Channel
    private let group: MultiThreadedEventLoopGroup
    private var isClosed = false

    init(channel: Channel, group: MultiThreadedEventLoopGroup, bound: ListenAddress) {
        self.channel = channel
        self.group = group
        boundAddress = bound
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    deinit {
        close()
    }
}

/// One HTTP connection: requests in order, each answered before the next is read
/// (HTTPServerPipelineHandler holds pipelined ones back).
final class MetricsRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let exporter: MetricsExporter
    private var request: HTTPRequestHead?

    init(exporter: MetricsExporter) {
        self.exporter = exporter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard head.method == .GET || head.method == .HEAD else {
            send(.methodNotAllowed, "only GET and HEAD are served\n", type: "text/plain; charset=utf-8", head: head, context: context,
                 extra: [("Allow", "GET, HEAD")])
            return
        }
        switch path {
        case "/metrics":
            let format = ExpositionFormat.negotiate(accept: head.headers.first(name: "accept"))
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let admitted = exporter.scrape(format: format) { text in
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.send(.ok, text, type: format.contentType, head: head, context: context)
                }
            }
            if !admitted {
                send(.serviceUnavailable, "too many scrapes are waiting; try again\n", type: "text/plain; charset=utf-8",
                     head: head, context: context, extra: [("Retry-After", "1")])
            }
        case "/":
            send(.ok, "<html><body><h1>bpfsh</h1><p><a href=\"/metrics\">/metrics</a>: the session's maps</p></body></html>\n",
                 type: "text/html; charset=utf-8", head: head, context: context)
        default:
            send(.notFound, "not found: bpfsh serves /metrics\n", type: "text/plain; charset=utf-8", head: head, context: context)
        }
    }

    private func send(_ status: HTTPResponseStatus, _ body: String, type: String, head: HTTPRequestHead,
                      context: ChannelHandlerContext, extra: [(String, String)] = []) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders([("Content-Type", type), ("Content-Length", String(body.utf8.count))] + extra)
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let keepAlive = head.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
