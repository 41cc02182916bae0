import CLibBPF
import Foundation

extension KernelMap {
    /// A share of a hash map's buckets for one batch read. The hash maps' batch token is
    /// the index of the next bucket to read (kernel/bpf/hashtab.c, since batch lookups came
    /// in 5.6), so a read can start at any bucket and stop once its token reaches `end`.
    struct BucketRange: Equatable {
        var start: UInt32
        /// nil: read to the end of the map.
        var end: UInt32?
    }

    /// How a ranged batch read ended.
    enum BatchEnd {
        /// The range (or the whole map) was read.
        case done
        /// A token did not advance through the buckets as `BucketRange` relies on: the
        /// read is incomplete and the caller must read the map whole instead.
        case tokenNotABucket
    }

    var isHash: Bool {
        [BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH]
            .map(\.rawValue).contains(mapType)
    }

    /// A hash map's bucket count: max_entries rounded up to a power of two, as
    /// htab_map_alloc sizes it. Only splits reads: a wrong figure costs speed, never
    /// entries, since the last range reads to the map's end.
    var bucketCount: UInt32 {
        let entries = UInt64(max(maxEntries, 1))
        let rounded = entries <= 1 ? 1 : UInt64(1) << (64 - (entries - 1).leadingZeroBitCount)
        return UInt32(min(rounded, UInt64(UInt32.max)))
    }

    /// Whether an error means this kernel has no batch lookup for this map type.
    static func lacksBatchLookup(_ error: KernelError) -> Bool {
        error.errno == EINVAL || error.errno == EOPNOTSUPP || error.errno == 524 // ENOTSUPP
    }

    /// What one bpf_map_lookup_batch call returned.
    struct BatchChunk {
        /// The chunk's `count` keys and raw (per-CPU) values, packed; the arrays are reused
        /// and may be longer.
        let keys: [UInt8]
        let values: [UInt8]
        let count: Int
        /// Ranged reads: the bucket the chunk began at, and the one after its last
        /// (nil for the chunk that reached the map's end).
        let firstBucket: UInt32?
        let nextBucket: UInt32?
    }

    /// The map read with bpf_map_lookup_batch, a chunk at a time. With `buckets`, only
    /// that share of a hash map is read, and entries of the next buckets may come too (a
    /// chunk ends at a bucket's end, or the map's, not at the range's): a caller
    /// combining ranges must expect a key twice.
    @discardableResult
    func lookUpInBatches(buckets: BucketRange? = nil, _ consume: (BatchChunk) -> Void) throws(KernelError) -> BatchEnd {
        let fullChunk = min(max(maxEntries, 1), 65536)
        // A range starts small, to learn how full its buckets are before it nears its end.
        var chunk = buckets?.end == nil ? fullChunk : min(fullChunk, 4096)
        let tokenSize = max(keySize, 8)
        var inToken = [UInt8](repeating: 0, count: tokenSize)
        var outToken = [UInt8](repeating: 0, count: tokenSize)
        var isFirst = true
        if let buckets, buckets.start > 0 {
            withUnsafeBytes(of: buckets.start.littleEndian) { inToken.replaceSubrange(0..<4, with: $0) }
            isFirst = false
        }
        // Allocated once: a chunk of a per-CPU map is a megabyte or more.
        var keys = [UInt8](repeating: 0, count: chunk * keySize)
        var values = [UInt8](repeating: 0, count: chunk * lookupValueSize)
        var entriesRead = 0
        while true {
            if chunk * keySize > keys.count {
                keys = [UInt8](repeating: 0, count: chunk * keySize)
                values = [UInt8](repeating: 0, count: chunk * lookupValueSize)
            }
            var count = UInt32(chunk)
            let result = keys.withUnsafeMutableBytes { keyBuffer in
                values.withUnsafeMutableBytes { valueBuffer in
                    inToken.withUnsafeMutableBytes { inBuffer in
                        outToken.withUnsafeMutableBytes { outBuffer in
                            bpf_map_lookup_batch(fd, isFirst ? nil : inBuffer.baseAddress, outBuffer.baseAddress,
                                                 keyBuffer.baseAddress, valueBuffer.baseAddress, &count, nil)
                        }
                    }
                }
            }
            if result == -ENOSPC, chunk < maxEntries * 4 + 64 {
                chunk *= 2 // one hash bucket held more entries than the chunk: retry larger
                continue
            }
            if result < 0, result != -ENOENT {
                try LibBPF.check(result, .readMap, "'\(name)'")
            }
            let previous = buckets.map { isFirst ? $0.start : bucket(in: inToken) }
            let next = result == -ENOENT ? nil : buckets.map { _ in bucket(in: outToken) }
            consume(BatchChunk(keys: keys, values: values, count: Int(count), firstBucket: previous, nextBucket: next))
            if result == -ENOENT { return .done }
            entriesRead += Int(count)
            guard let buckets, let end = buckets.end, let previous, let next else {
                isFirst = false
                swap(&inToken, &outToken)
                continue
            }
            guard next > previous, next <= bucketCount else { return .tokenNotABucket }
            if next >= end { return .done }
            // Near the range's end, ask for about what its remaining buckets hold, so the
            // last chunk reads few entries of the next range.
            let perBucket = Double(entriesRead) / Double(next - buckets.start)
            let expected = perBucket * Double(end - next) * 1.25 + 64
            chunk = Int(min(Double(fullChunk), expected))
            isFirst = false
            swap(&inToken, &outToken)
        }
    }

    private func bucket(in token: [UInt8]) -> UInt32 {
        token.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
    }
}
