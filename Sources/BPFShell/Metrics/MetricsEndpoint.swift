/// Where `serve metrics` listens: `PORT` (loopback), `:PORT` (every interface, said
/// explicitly), `ADDR:PORT` or `[IPv6]:PORT`. Port 0 asks the kernel for a free one.
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public enum ParseError: Error, Equatable {
        case badPort(String)
        case badHost(String)
    }

    public static func parse(_ text: String) throws(ParseError) -> ListenAddress {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .badHost(text)
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":") {
            let named = text[..<colon]
            guard !named.contains(":") else { throw .badHost(text) } // IPv6 needs brackets
            host = named.isEmpty ? "0.0.0.0" : String(named)
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:_".contains($0)) }) else {
            throw .badHost(host)
        }
        guard let port = Int(portText), (0...65535).contains(port) else { throw .badPort(String(portText)) }
        return ListenAddress(host: host, port: port)
    }

    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Why an endpoint could not listen, in the user's terms.
public struct MetricsListenError: Error, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        case addressInUse
        /// The address is not one of this machine's (EADDRNOTAVAIL).
        case addressNotLocal
        case permissionDenied
        case unknownHost
        case other(String)
    }

    public var reason: Reason
    public var address: ListenAddress

    public init(_ reason: Reason, address: ListenAddress) {
        self.reason = reason
        self.address = address
    }
}

/// A listening endpoint; `close()` stops it and waits for its threads.
public protocol MetricsListener: AnyObject {
    /// The address it listens on, with the port the kernel chose for port 0.
    var boundAddress: ListenAddress { get }
    func close()
}

/// Serves an exporter over HTTP. The shell's core does not carry an HTTP stack: the
/// bpfsh program installs one (SwiftNIO's, in the MetricsHTTP module) at start.
public protocol MetricsHTTPServer: Sendable {
    func listen(on address: ListenAddress, exporter: MetricsExporter) throws(MetricsListenError) -> any MetricsListener
}

public enum MetricsEndpoint {
    /// Set once at start-up, before any session runs.
    nonisolated(unsafe) public static var server: (any MetricsHTTPServer)?
}
