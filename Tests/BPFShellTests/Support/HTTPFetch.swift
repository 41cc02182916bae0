import Foundation

/// HTTP as scrapers do it, through curl (Debian's, installed by make deps), with deadlines.
enum HTTPFetch {
    static let curl = "/usr/bin/curl"

    struct Response {
        var status: Int
        var contentType: String
        var body: String
    }

    /// One GET; status 0 when nothing answered.
    static func get(_ url: String, accept: String? = nil, timeout: TimeInterval = 15) throws -> Response {
        var arguments = ["-sS", "-m", String(Int(timeout)), "-o", "-", "-w", "\n%{http_code} %{content_type}"]
        if let accept { arguments += ["-H", "Accept: \(accept)"] }
        let result = try TimedProcess.run(curl, arguments + [url], timeout: timeout + 5)
        // stdout then stderr: the trailer is the last line of stdout.
        let stdout = result.output.components(separatedBy: "\ncurl: ").first ?? result.output
        guard let cut = stdout.range(of: "\n", options: .backwards) else { return Response(status: 0, contentType: "", body: stdout) }
        let trailer = stdout[cut.upperBound...].split(separator: " ", maxSplits: 1)
        return Response(status: Int(trailer.first ?? "") ?? 0, contentType: trailer.count > 1 ? String(trailer[1]) : "",
                        body: String(stdout[..<cut.lowerBound]))
    }

    /// The URL a `serve metrics` status line names.
    static func servedURL(in output: String) -> String? {
        guard let start = output.range(of: "serving metrics at http://") else { return nil }
        let rest = output[start.upperBound...]
        let address = rest.prefix { !$0.isWhitespace && $0 != "\"" }
        return "http://" + address
    }

    /// A port nobody listens on at this moment (the kernel picks it).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
