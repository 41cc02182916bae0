import Foundation

/// A print() record's time as shown: wall clock ("14:03:22.123456") or seconds since the
/// session began ("+1.234567"); in JSON `time` (text) or `elapsed` (seconds).
public struct EventTime: Sendable {
    public var text: String
    var key: String
    var value: JSONValue
}

/// Converts the kernel's CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) into wall-clock
/// and session time, from the offset between the two clocks taken once.
public final class EventClock {
    public enum Style: String, Sendable, CaseIterable {
        case off, wall, elapsed
    }

    private let startMonotonic: UInt64
    private let wallMinusMonotonic: Double
    private let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter
    }()

    public init() {
        var monotonic = timespec(), wall = timespec()
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        clock_gettime(CLOCK_REALTIME, &wall)
        startMonotonic = UInt64(monotonic.tv_sec) * 1_000_000_000 + UInt64(monotonic.tv_nsec)
        wallMinusMonotonic = (Double(wall.tv_sec) + Double(wall.tv_nsec) / 1e9)
            - (Double(monotonic.tv_sec) + Double(monotonic.tv_nsec) / 1e9)
    }

    /// `nanoseconds` 0: a record written before the probe's clock was switched on; its
    /// drain time stands in.
    func stamp(_ recorded: UInt64, style: Style) -> EventTime? {
        var nanoseconds = recorded
        if nanoseconds == 0 {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            nanoseconds = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        }
        switch style {
        case .off:
            return nil
        case .elapsed:
            let seconds = Double(Int64(bitPattern: nanoseconds &- startMonotonic)) / 1e9
            return EventTime(text: String(format: "+%.6f", seconds), key: "elapsed", value: .number((seconds * 1e6).rounded() / 1e6))
        case .wall:
            let seconds = Double(nanoseconds) / 1e9 + wallMinusMonotonic
            let whole = formatter.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
            let text = whole + String(format: ".%06d", Int((seconds - seconds.rounded(.down)) * 1e6))
            return EventTime(text: text, key: "time", value: .string(text))
        }
    }
}
