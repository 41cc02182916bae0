import Foundation

/// The `limit` largest u64 scores offered, with their key and raw value bytes. A min-heap:
/// an entry that loses costs one comparison, and bytes are copied only for a winner.
struct TopScores {
    struct Entry {
        var score: UInt64
        var key: [UInt8]
        var raw: [UInt8]
    }

    let limit: Int
    /// heap[0] is the smallest score kept.
    private var heap: [Entry] = []

    init(limit: Int) {
        self.limit = max(limit, 0)
    }

    /// Keeps the entry if it beats the smallest kept (an equal score keeps the earlier one).
    mutating func offer(score: UInt64, key: UnsafeRawBufferPointer, raw: UnsafeRawBufferPointer) {
        guard limit > 0 else { return }
        if heap.count < limit {
            heap.append(Entry(score: score, key: Array(key), raw: Array(raw)))
            siftUp(heap.count - 1)
        } else if score > heap[0].score {
            heap[0] = Entry(score: score, key: Array(key), raw: Array(raw))
            siftDown(0)
        }
    }

    /// The winners of several readers, largest first, each key once (readers of adjacent
    /// bucket ranges may both have read the keys of a bucket at their boundary). Equal
    /// scores are ordered by key, so the result does not depend on which reader ran first.
    static func merged(_ parts: [TopScores], limit: Int) -> [Entry] {
        let all = parts.flatMap(\.heap).sorted {
            $0.score != $1.score ? $0.score > $1.score : $0.key.lexicographicallyPrecedes($1.key)
        }
        var seen = Set<[UInt8]>()
        var winners: [Entry] = []
        for entry in all where winners.count < limit && seen.insert(entry.key).inserted {
            winners.append(entry)
        }
        return winners
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].score < heap[parent].score else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].score < heap[smallest].score { smallest = left }
            if right < heap.count, heap[right].score < heap[smallest].score { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

extension KernelMap {
    /// The `limit` entries whose u64 counters (summed over CPUs) are largest, read in
    /// batches without keeping (or allocating) the others: a top 20 of a million keys
    /// holds 20. A big hash map is read by one thread per CPU, each over its share of
    /// the buckets (see readInParallel).
    public func topEntries(limit: Int) throws(KernelError) -> [RawEntry] {
        let tops: [TopScores]
        do {
            tops = try readTops(limit: limit)
        } catch let error where Self.lacksBatchLookup(error) {
            var top = TopScores(limit: limit)
            let cpus = counterCopies
            for entry in try readKeyByKey() {
                entry.key.withUnsafeBytes { key in
                    entry.value.withUnsafeBytes { raw in top.offer(score: Self.score(of: raw, cpus: cpus), key: key, raw: raw) }
                }
            }
            tops = [top]
        }
        // Readers of adjacent ranges may both hold a key: merged drops the second.
        return TopScores.merged(tops, limit: limit).map { RawEntry(key: $0.key, value: foldPerCPU($0.raw)) }
    }

    /// Each reader's winners; one reader of the whole map when it is small, or when the
    /// kernel's batch tokens turn out not to be bucket indexes.
    private func readTops(limit: Int) throws(KernelError) -> [TopScores] {
        if let ranges = parallelRanges {
            let reads = try readInParallel(ranges) { range throws(KernelError) in try readTop(limit: limit, buckets: range) }
            if reads.allSatisfy({ $0.end == .done }) { return reads.map(\.top) }
        }
        return [try readTop(limit: limit, buckets: nil).top]
    }

    private func readTop(limit: Int, buckets: BucketRange?) throws(KernelError) -> (top: TopScores, end: BatchEnd) {
        var top = TopScores(limit: limit)
        let keySize = keySize, valueSize = lookupValueSize, cpus = counterCopies
        let end = try lookUpInBatches(buckets: buckets) { chunk in
            chunk.keys.withUnsafeBytes { keyBuffer in
                chunk.values.withUnsafeBytes { valueBuffer in
                    for index in 0..<chunk.count {
                        let raw = UnsafeRawBufferPointer(rebasing: valueBuffer[index * valueSize..<(index + 1) * valueSize])
                        top.offer(score: Self.score(of: raw, cpus: cpus),
                                  key: UnsafeRawBufferPointer(rebasing: keyBuffer[index * keySize..<(index + 1) * keySize]),
                                  raw: raw)
                    }
                }
            }
        }
        return (top, end)
    }

    /// How many u64 copies of a counter one lookup returns: one per possible CPU for a
    /// per-CPU map.
    var counterCopies: Int { isPerCPU ? Self.possibleCPUs : 1 }

    /// A raw value's u64 counter, summed over its `cpus` copies.
    static func score(of raw: UnsafeRawBufferPointer, cpus: Int) -> UInt64 {
        guard raw.count >= 8 else { return 0 }
        var total: UInt64 = 0
        for cpu in 0..<cpus where (cpu + 1) * 8 <= raw.count {
            total &+= raw.loadUnaligned(fromByteOffset: cpu * 8, as: UInt64.self)
        }
        return total
    }
}
