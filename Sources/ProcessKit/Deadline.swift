import Glibc

/// Seconds on the monotonic clock: wall-clock jumps (NTP, a VM resuming) must not
/// stretch or shrink a measured interval or a timeout.
public enum Monotonic {
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Milliseconds since `start` (a `now()` value).
    public static func milliseconds(since start: Double) -> Double {
        (now() - start) * 1000
    }
}

/// A point in time by which something must have happened.
public struct Deadline: Sendable {
    public let instant: Double

    public init(secondsFromNow seconds: Double) {
        instant = Monotonic.now() + seconds
    }

    public static func after(_ seconds: Double) -> Deadline { Deadline(secondsFromNow: seconds) }

    /// The earlier of two deadlines.
    public func earlier(_ other: Deadline?) -> Deadline {
        guard let other else { return self }
        return other.instant < instant ? other : self
    }

    public var hasPassed: Bool { Monotonic.now() >= instant }
    public var remaining: Double { max(0, instant - Monotonic.now()) }

    /// Milliseconds left, as poll(2) takes them (0 when passed).
    var pollMilliseconds: Int32 { Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up)) }
}

/// Sleeps for `seconds` (fractions allowed).
public func pause(_ seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remainder = timespec()
    while nanosleep(&request, &remainder) != 0, errno == EINTR { request = remainder }
}
