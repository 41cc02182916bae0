import Foundation

/// Tracepoint discovery through tracefs: categories, events and record formats.
public struct Tracefs: Sendable {
    public let eventsDirectory: String

    /// Finds tracefs, mounting it at /sys/kernel/tracing when it is not mounted yet.
    public static func locate() throws(Diagnostic) -> Tracefs {
        // BPFSH_TRACEFS names the mount point explicitly (unusual mounts, and tests).
        if let explicit = ProcessInfo.processInfo.environment["BPFSH_TRACEFS"] {
            guard FileManager.default.fileExists(atPath: explicit + "/events") else {
                throw .error("tracefs is not available at \(explicit) (from BPFSH_TRACEFS)",
                             hint: "mount it: mount -t tracefs nodev \(explicit)")
            }
            return Tracefs(eventsDirectory: explicit + "/events")
        }
        let candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        for root in candidates where FileManager.default.fileExists(atPath: root + "/events") {
            return Tracefs(eventsDirectory: root + "/events")
        }
        let result = mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nil)
        if result == 0, FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events") {
            return Tracefs(eventsDirectory: "/sys/kernel/tracing/events")
        }
        let reason = String(cString: strerror(errno))
        throw .error("tracefs is not mounted and mounting it at /sys/kernel/tracing failed: \(reason)",
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
