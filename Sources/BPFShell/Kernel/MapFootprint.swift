import CLibBPF
import Foundation

/// The kernel memory a map will take, worked out before it is created: hash and array
/// maps are preallocated in full, so `array<u64> size 2147483648` asks for 16 GiB at
/// once (and takes the machine's time finding it). A map over the session's limit
/// (`set map-memory-limit`) is refused with the figure.
struct MapFootprint {
    var bytes: UInt64
    /// "2147483648 entries of 8 bytes" (per CPU where the map keeps a copy per CPU).
    var explanation: String

    /// The kernel's per-element header of a hash map (struct htab_elem: list node, LRU or
    /// free-list node, hash), before the key.
    static let hashElementHeader: UInt64 = 48
    /// A hash bucket (list head and lock); buckets are a power of two.
    static let hashBucket: UInt64 = 16

    init(type: bpf_map_type, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32, possibleCPUs: Int) {
        let key = Self.roundUp8(UInt64(keySize))
        let value = Self.roundUp8(UInt64(valueSize))
        let entries = UInt64(maxEntries)
        let cpus = UInt64(max(possibleCPUs, 1))
        switch type {
        case BPF_MAP_TYPE_ARRAY:
            bytes = Self.product(entries, value)
            explanation = "\(entries) entries of \(value) bytes"
        case BPF_MAP_TYPE_PERCPU_ARRAY:
            bytes = Self.product(entries, Self.sum(Self.product(value, cpus), 8))
            explanation = "\(entries) entries of \(value) bytes on each of \(cpus) CPUs"
        case BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH:
            let element = Self.sum(Self.hashElementHeader, Self.sum(key, value))
            bytes = Self.sum(Self.product(entries, element), Self.product(Self.powerOfTwo(atLeast: entries), Self.hashBucket))
            explanation = "\(entries) entries of \(keySize)-byte keys and \(valueSize)-byte values"
        case BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH:
            let element = Self.sum(Self.hashElementHeader, Self.sum(key, Self.sum(8, Self.product(value, cpus))))
            bytes = Self.sum(Self.product(entries, element), Self.product(Self.powerOfTwo(atLeast: entries), Self.hashBucket))
            explanation = "\(entries) entries of \(keySize)-byte keys and \(valueSize)-byte values on each of \(cpus) CPUs"
        default:
            bytes = Self.product(entries, Self.sum(key, value))
            explanation = "\(entries) entries"
        }
    }

    /// Arithmetic that saturates: a footprint past 2^64 bytes is "too much", not a crash.
    private static func product(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : result
    }

    private static func sum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : result
    }

    private static func roundUp8(_ size: UInt64) -> UInt64 { (size + 7) / 8 * 8 }

    private static func powerOfTwo(atLeast value: UInt64) -> UInt64 {
        guard value > 1 else { return 1 }
        guard value <= 1 << 62 else { return .max }
        return 1 << (64 - (value - 1).leadingZeroBitCount)
    }
}

/// The session's cap on one map's kernel memory (`set map-memory-limit`).
public struct MapMemoryLimit: Sendable, Equatable {
    public var bytes: UInt64
    public static let standard = MapMemoryLimit(bytes: 1 << 30)
}

extension KernelError {
    static func mapTooLarge(_ name: String, footprint: MapFootprint, limit: MapMemoryLimit) -> KernelError {
        KernelError(.createMap, subject: "'\(name)'", errno: E2BIG,
                    summary: "map '\(name)' would take \(MemorySize.describe(footprint.bytes)) of kernel memory (\(footprint.explanation)), over the limit of \(MemorySize.describe(limit.bytes)) for one map",
                    hint: "declare fewer entries (size N), or raise the limit: set map-memory-limit \(MemorySize.suggestion(above: footprint.bytes))")
    }
}
