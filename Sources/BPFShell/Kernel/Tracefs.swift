import Foundation

/// Where tracepoints are listed and described: tracefs on a live kernel, fixture
/// text in tests that run without root.
public protocol TracepointCatalog {
    func categories() -> [String]
    func events(in category: String) -> [String]
    func format(category: String, event: String) -> TracepointFormat?
}

/// Tracepoint discovery through tracefs: categories, events and record formats.
public struct Tracefs: TracepointCatalog, Sendable {
    public let eventsDirectory: String

    /// Finds tracefs, mounting it at /sys/kernel/tracing when it is not mounted yet.
    public static func locate() throws(KernelError) -> Tracefs {
        // BPFSH_TRACEFS names the mount point explicitly (unusual mounts, and tests).
        if let explicit = ProcessInfo.processInfo.environment["BPFSH_TRACEFS"] {
            guard FileManager.default.fileExists(atPath: explicit + "/events") else {
                throw KernelError(.locateTracefs, subject: explicit, errno: ENOENT,
                                  summary: "tracefs is not available at \(explicit) (from BPFSH_TRACEFS)",
                                  hint: "mount it: mount -t tracefs nodev \(explicit)")
            }
            return Tracefs(eventsDirectory: explicit + "/events")
        }
        let candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        for root in candidates where FileManager.default.fileExists(atPath: root + "/events") {
            return Tracefs(eventsDirectory: root + "/events")
        }
        // tracefs is mode 0700: to anyone but root it looks absent, mounted or not.
        if geteuid() != 0 {
            throw KernelError(.locateTracefs, subject: "/sys/kernel/tracing", errno: EACCES,
                              summary: "tracepoint: probes need tracefs, which only root can read (this is not root)",
                              hint: "run as root (sudo), or use a point BTF describes: tp_btf:EVENT or rawtracepoint:EVENT")
        }
        let result = mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nil)
        if result == 0, FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events") {
            return Tracefs(eventsDirectory: "/sys/kernel/tracing/events")
        }
        let code = errno
        throw KernelError(.locateTracefs, subject: "/sys/kernel/tracing", errno: code,
                          summary: "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: \(String(cString: strerror(code)))",
                          hint: "mount it as root: mount -t tracefs nodev /sys/kernel/tracing")
    }

    public func categories() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: eventsDirectory)) ?? []).filter {
            FileManager.default.fileExists(atPath: "\(eventsDirectory)/\($0)/enable") &&
                !FileManager.default.fileExists(atPath: "\(eventsDirectory)/\($0)/format")
        }.sorted()
    }

    public func events(in category: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(eventsDirectory)/\(category)")) ?? []).filter {
            FileManager.default.fileExists(atPath: "\(eventsDirectory)/\(category)/\($0)/format")
        }.sorted()
    }

    public func format(category: String, event: String) -> TracepointFormat? {
        let path = "\(eventsDirectory)/\(category)/\(event)/format"
        guard let text = KernelFile.read(path) else { return nil }
        return TracepointFormat.parse(text, category: category, event: event)
    }
}

/// tracefs, found on first use and kept: each backend asks through one of these.
final class TracefsLocation {
    private var located: Tracefs?

    func get() throws(KernelError) -> Tracefs {
        if let located { return located }
        let found = try Tracefs.locate()
        located = found
        return found
    }
}

/// Shell-style wildcard matching (`*` and `?`) for probe specs and `list`.
public enum Wildcard {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, starP = -1, starT = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                starP = pi; starT = ti; pi += 1
            } else if starP >= 0 {
                pi = starP + 1; starT += 1; ti = starT
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
