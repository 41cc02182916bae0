/// A histogram read from a map: buckets with inclusive bounds and counts.
public struct Histogram: Equatable, Sendable {
    public enum Scale: Equatable, Sendable {
        case log2
        case linear(min: Int64, max: Int64, step: Int64)
    }

    public struct Bucket: Equatable, Sendable {
        /// nil for the open-ended "below min" bucket.
        public var low: Int64?
        /// nil for the open-ended "max and above" bucket.
        public var high: Int64?
        public var count: UInt64
    }

    public var scale: Scale
    public var buckets: [Bucket]

    public var total: UInt64 { buckets.reduce(0) { $0 &+ $1.count } }

    /// From log2 slot counts: slot 0 holds 0 and 1, slot i holds [2^i, 2^(i+1)).
    /// Rows run from the first to the last non-empty slot, as bcc prints them.
    public static func log2(slots: [Int: UInt64]) -> Histogram {
        let used = slots.filter { $0.value > 0 }.keys
        guard let last = used.max() else { return Histogram(scale: .log2, buckets: []) }
        let first = min(used.min() ?? 0, last)
        var buckets: [Bucket] = []
        for slot in first...last {
            let low: Int64 = slot == 0 ? 0 : (slot >= 63 ? Int64.max : Int64(1) << Int64(slot))
            let high: Int64 = slot >= 62 ? Int64.max : (Int64(1) << Int64(slot + 1)) - 1
            buckets.append(Bucket(low: low, high: high, count: slots[slot] ?? 0))
        }
        return Histogram(scale: .log2, buckets: buckets)
    }

    /// From linear slot counts: slot 0 is below min, the last is max and above.
    public static func linear(slots: [Int: UInt64], min: Int64, max: Int64, step: Int64) -> Histogram {
        let inner = Int((max - min + step - 1) / step)
        var buckets: [Bucket] = []
        if let below = slots[0], below > 0 { buckets.append(Bucket(low: nil, high: min - 1, count: below)) }
        let used = slots.filter { $0.value > 0 && $0.key >= 1 && $0.key <= inner }.keys
        if let first = used.min(), let last = used.max() {
            for slot in first...last {
                let low = min + Int64(slot - 1) * step
                buckets.append(Bucket(low: low, high: Swift.min(low + step, max) - 1, count: slots[slot] ?? 0))
            }
        }
        if let above = slots[inner + 1], above > 0 { buckets.append(Bucket(low: max, high: nil, count: above)) }
        return Histogram(scale: .linear(min: min, max: max, step: step), buckets: buckets)
    }
}

extension Histogram {
    /// The same log2 histogram with values divided by `divisor` (nanoseconds shown in
    /// microseconds): each bucket's count moves to the log2 bucket of its scaled lower
    /// bound, as if the probe had divided before counting.
    func rebucketed(dividingBy divisor: Double) -> Histogram {
        guard scale == .log2, divisor > 1 else { return self }
        var slots: [Int: UInt64] = [:]
        for bucket in buckets where bucket.count > 0 {
            let scaled = UInt64(Double(max(bucket.low ?? 0, 0)) / divisor)
            let slot = scaled < 2 ? 0 : 63 - scaled.leadingZeroBitCount
            slots[slot, default: 0] += bucket.count
        }
        return .log2(slots: slots)
    }
}
