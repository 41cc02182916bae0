import Foundation

/// Big hash maps read by several threads: walking a million per-CPU entries takes the
/// kernel about 470 ms on one CPU, and each range of buckets can be walked on its own.
extension KernelMap {
    /// Hash maps with at least this many buckets are read by one thread per CPU.
    static let parallelReadBuckets: UInt32 = 1 << 17

    /// One range of buckets per CPU (at most 8), or nil: read the map whole, on one thread.
    var parallelRanges: [BucketRange]? {
        guard isHash, bucketCount >= Self.parallelReadBuckets else { return nil }
        let parts = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        guard parts > 1 else { return nil }
        let share = bucketCount / UInt32(parts)
        return (0..<parts).map { part in
            BucketRange(start: UInt32(part) * share, end: part == parts - 1 ? nil : UInt32(part + 1) * share)
        }
    }

    /// Runs `read` over each range on a thread of its own; the results in range order,
    /// or the first range's error.
    func readInParallel<Part>(_ ranges: [BucketRange],
                              _ read: (BucketRange) throws(KernelError) -> Part) throws(KernelError) -> [Part] {
        let lock = NSLock()
        var results = [Result<Part, KernelError>?](repeating: nil, count: ranges.count)
        DispatchQueue.concurrentPerform(iterations: ranges.count) { part in
            let result = Result { () throws(KernelError) in try read(ranges[part]) }
            lock.withLock { results[part] = result }
        }
        var values: [Part] = []
        for result in results {
            guard let result else { continue } // concurrentPerform ran every part
            values.append(try result.get())
        }
        return values
    }

    /// A range's counters, and what merging needs: where each chunk began, and how the
    /// read ended.
    private struct CounterRange {
        var counters: FlatCounters
        var chunks: [(firstBucket: UInt32, firstEntry: Int)] = []
        /// The bucket after the last chunk; nil when that chunk reached the map's end.
        var nextBucket: UInt32?
        var end = BatchEnd.done
    }

    /// flatCounters of a big hash map, a range per thread, each key once.
    func flatCountersInParallel() throws(KernelError) -> FlatCounters? {
        guard let ranges = parallelRanges else { return nil }
        let parts = try readInParallel(ranges) { range throws(KernelError) in try readCounters(range) }
        guard parts.allSatisfy({ $0.end == .done }) else { return nil }
        // A range's last chunk may run past its end into the ranges after it: those keys
        // come again at the start of the next ranges' reads, in their chunks that began
        // before `spillEnd`. A key lives in one bucket, so a repeat is a duplicate.
        var merged = FlatCounters(keySize: keySize)
        var spilled = Set<ArraySlice<UInt8>>()
        var spillEnd: UInt32 = 0
        for (range, part) in zip(ranges, parts) {
            let counters = part.counters
            let overlap = spilled.isEmpty ? 0 : (part.chunks.first { $0.firstBucket >= spillEnd }?.firstEntry ?? counters.count)
            for index in 0..<overlap where !spilled.contains(counters.key(at: index)) {
                merged.keys.append(contentsOf: counters.key(at: index))
                merged.values.append(counters.values[index])
            }
            merged.keys.append(contentsOf: counters.keys[(overlap * keySize)...])
            merged.values.append(contentsOf: counters.values[overlap...])
            if range.end != nil, let last = part.chunks.last {
                for index in last.firstEntry..<counters.count { spilled.insert(counters.key(at: index)) }
                spillEnd = max(spillEnd, part.nextBucket ?? .max)
            }
        }
        return merged
    }

    private func readCounters(_ range: BucketRange) throws(KernelError) -> CounterRange {
        var read = CounterRange(counters: FlatCounters(keySize: keySize))
        let keySize = keySize, valueSize = lookupValueSize, cpus = counterCopies
        read.end = try lookUpInBatches(buckets: range) { chunk in
            read.chunks.append((chunk.firstBucket ?? range.start, read.counters.count))
            read.nextBucket = chunk.nextBucket
            read.counters.keys.append(contentsOf: chunk.keys[..<(chunk.count * keySize)])
            chunk.values.withUnsafeBytes { valueBuffer in
                for index in 0..<chunk.count {
                    let raw = UnsafeRawBufferPointer(rebasing: valueBuffer[index * valueSize..<(index + 1) * valueSize])
                    read.counters.values.append(Self.score(of: raw, cpus: cpus))
                }
            }
        }
        return read
    }
}
