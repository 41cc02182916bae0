import CLibBPF
import Foundation

/// One key and its value as the kernel holds them; per-CPU counters already summed.
public struct RawEntry: Equatable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]
}

/// Owns a kernel map's fd for the whole session, independent of any probe.
public final class KernelMap {
    public let fd: Int32
    public let name: String
    public let mapType: UInt32
    public let keySize: Int
    public let valueSize: Int
    public let maxEntries: Int
    /// Known at adoption: reads ask for each entry, so no set is built per question.
    public let isPerCPU: Bool
    public let isArray: Bool
    /// How a per-CPU value's copies become one.
    public var fold: PerCPUFold = .sumCounters
    private var isClosed = false

    /// Takes ownership of `fd` (the caller must not close it).
    /// The corresponding libbpf function is `bpf_obj_get_info_by_fd`.
    public init(adopting fd: Int32, name: String) throws(KernelError) {
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        let result = bpf_obj_get_info_by_fd(fd, &info, &length)
        if result < 0 { Glibc.close(fd) }
        try LibBPF.check(result, .readMap, "'\(name)'")
        self.fd = fd
        self.name = name
        mapType = info.type
        keySize = Int(info.key_size)
        valueSize = Int(info.value_size)
        maxEntries = Int(info.max_entries)
        isPerCPU = [BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_LRU_PERCPU_HASH]
            .map(\.rawValue).contains(info.type)
        isArray = [BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY].map(\.rawValue).contains(info.type)
    }

    /// Creates a map without BTF (the session's ring buffer and counters).
    /// The corresponding libbpf function is `bpf_map_create`.
    public static func create(type: bpf_map_type, name: String, keySize: Int, valueSize: Int,
                              maxEntries: Int) throws(KernelError) -> KernelMap {
        let fd = bpf_map_create(type, name, UInt32(keySize), UInt32(valueSize), UInt32(maxEntries), nil)
        try LibBPF.check(fd, .createMap, "'\(name)'")
        return try KernelMap(adopting: fd, name: name)
    }

    static let possibleCPUs: Int = Int(max(libbpf_num_possible_cpus(), 1))

    /// Bytes one lookup returns: per-CPU maps give one 8-byte-aligned slot per possible CPU.
    var lookupValueSize: Int {
        isPerCPU ? ((valueSize + 7) / 8 * 8) * Self.possibleCPUs : valueSize
    }

    /// Reads every entry with batch lookups (one syscall per chunk), falling back to
    /// key-by-key iteration on kernels without batch support for this map type.
    public func readAll() throws(KernelError) -> [RawEntry] {
        var entries: [RawEntry] = []
        try visitEntries { key, raw in entries.append(RawEntry(key: Array(key), value: foldPerCPU(Array(raw)))) }
        return entries
    }

    /// Every key, and its u64 value summed over CPUs, in two flat arrays: a full print of a
    /// million counters holds 12 bytes each instead of a pair of arrays per entry.
    /// A big hash map is read by one thread per CPU (see flatCountersInParallel).
    public func flatCounters() throws(KernelError) -> FlatCounters {
        do {
            if let counters = try flatCountersInParallel() { return counters }
        } catch let error where Self.lacksBatchLookup(error) {
            // Read below, key by key.
        }
        var counters = FlatCounters(keySize: keySize)
        let cpus = counterCopies
        try visitEntries { key, raw in
            counters.keys.append(contentsOf: key)
            counters.values.append(raw.withUnsafeBytes { Self.score(of: $0, cpus: cpus) })
        }
        return counters
    }

    /// Calls `visit` with each entry's key and raw (per-CPU, unfolded) value, valid during
    /// the call: batch lookups, or key by key on kernels without them for this map type.
    func visitEntries(_ visit: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> Void) throws(KernelError) {
        do {
            try visitBatched(visit)
        } catch let error where Self.lacksBatchLookup(error) {
            for entry in try readKeyByKey() { visit(entry.key[...], entry.value[...]) }
        }
    }

    private func visitBatched(_ visit: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> Void) throws(KernelError) {
        let keySize = keySize, valueSize = lookupValueSize, isArray = isArray
        try lookUpInBatches { chunk in
            let (keys, values) = (chunk.keys, chunk.values)
            for index in 0..<chunk.count {
                let raw = values[index * valueSize..<(index + 1) * valueSize]
                // Array slots always exist: an unwritten (all-zero) one is not an entry.
                if isArray, raw.allSatisfy({ $0 == 0 }) { continue }
                visit(keys[index * keySize..<(index + 1) * keySize], raw)
            }
        }
    }

    func readKeyByKey() throws(KernelError) -> [RawEntry] {
        var entries: [RawEntry] = []
        var key = [UInt8](repeating: 0, count: keySize)
        var next = [UInt8](repeating: 0, count: keySize)
        var value = [UInt8](repeating: 0, count: lookupValueSize)
        var isFirst = true
        while true {
            let result = key.withUnsafeBytes { keyBuffer in
                next.withUnsafeMutableBytes { nextBuffer in
                    bpf_map_get_next_key(fd, isFirst ? nil : keyBuffer.baseAddress, nextBuffer.baseAddress)
                }
            }
            if result == -ENOENT { return entries }
            try LibBPF.check(result, .readMap, "'\(name)'")
            isFirst = false
            key = next
            let lookup = key.withUnsafeBytes { keyBuffer in
                value.withUnsafeMutableBytes { bpf_map_lookup_elem(fd, keyBuffer.baseAddress, $0.baseAddress) }
            }
            if lookup == 0 { entries.append(RawEntry(key: key, value: value)) } // raw: visitEntries callers fold
        }
    }

    /// Per-CPU counters are u64: sum them into one value. Stats records add their counts
    /// and sums and keep the extremes of the CPUs that saw a value. Other per-CPU values
    /// keep CPU 0.
    func foldPerCPU(_ raw: [UInt8]) -> [UInt8] {
        guard isPerCPU else { return raw }
        if fold == .stats, valueSize == 32 { return foldStats(raw) }
        guard valueSize == 8 else { return Array(raw.prefix(valueSize)) }
        var total: UInt64 = 0
        raw.withUnsafeBytes { buffer in
            for cpu in 0..<Self.possibleCPUs {
                total &+= buffer.loadUnaligned(fromByteOffset: cpu * 8, as: UInt64.self)
            }
        }
        return withUnsafeBytes(of: total.littleEndian) { Array($0) }
    }

    /// struct bpfsh_stats { u64 count; s64 sum; s64 min; s64 max; } per CPU → one.
    private func foldStats(_ raw: [UInt8]) -> [UInt8] {
        var count: UInt64 = 0
        var sum: Int64 = 0
        var minimum = Int64.max, maximum = Int64.min
        raw.withUnsafeBytes { buffer in
            for cpu in 0..<Self.possibleCPUs {
                let base = cpu * 32
                guard base + 32 <= buffer.count else { break }
                let seen = buffer.loadUnaligned(fromByteOffset: base, as: UInt64.self)
                guard seen > 0 else { continue }
                count &+= seen
                sum &+= buffer.loadUnaligned(fromByteOffset: base + 8, as: Int64.self)
                minimum = Swift.min(minimum, buffer.loadUnaligned(fromByteOffset: base + 16, as: Int64.self))
                maximum = Swift.max(maximum, buffer.loadUnaligned(fromByteOffset: base + 24, as: Int64.self))
            }
        }
        if count == 0 { (minimum, maximum) = (0, 0) }
        var folded: [UInt8] = []
        for word in [count, UInt64(bitPattern: sum), UInt64(bitPattern: minimum), UInt64(bitPattern: maximum)] {
            withUnsafeBytes(of: word.littleEndian) { folded.append(contentsOf: $0) }
        }
        return folded
    }

    /// Empties the map: deletes every key of a hash, zeroes every slot of an array.
    public func clear() throws(KernelError) {
        if isArray {
            if try clearArrayInBatches() { return }
            let zero = [UInt8](repeating: 0, count: lookupValueSize)
            for index in 0..<UInt32(maxEntries) {
                var key = index
                let result = zero.withUnsafeBytes { bpf_map_update_elem(fd, &key, $0.baseAddress, 0) }
                try LibBPF.check(result, .updateMap, "'\(name)'")
            }
            return
        }
        for entry in try readAll() {
            let result = entry.key.withUnsafeBytes { bpf_map_delete_elem(fd, $0.baseAddress) }
            if result < 0, result != -ENOENT { try LibBPF.check(result, .updateMap, "'\(name)'") }
        }
    }

    /// Zeroes an array 64k slots per syscall (one update per slot took 4 s for 4M slots).
    /// False when the kernel has no batch update for this map type (then slot by slot).
    /// The corresponding libbpf function is `bpf_map_update_batch`.
    private func clearArrayInBatches() throws(KernelError) -> Bool {
        let chunk = min(maxEntries, 65536)
        let zeros = [UInt8](repeating: 0, count: chunk * lookupValueSize)
        var start = 0
        while start < maxEntries {
            let count = min(chunk, maxEntries - start)
            var keys = (0..<count).map { UInt32(start + $0) }
            var done = UInt32(count)
            let result = keys.withUnsafeMutableBytes { keyBuffer in
                zeros.withUnsafeBytes { bpf_map_update_batch(fd, keyBuffer.baseAddress, $0.baseAddress, &done, nil) }
            }
            if result == -EINVAL || result == -EOPNOTSUPP || result == -524 {
                if start == 0 { return false }
            }
            try LibBPF.check(result, .updateMap, "'\(name)'")
            start += count
        }
        return true
    }

    /// How many keys are present (for arrays: the slots, which always exist).
    public func entryCount() -> Int {
        isArray ? maxEntries : ((try? readAll().count) ?? 0)
    }

    /// Memory the kernel charges for the map, from /proc/self/fdinfo.
    public var memoryBytes: Int? {
        guard let text = KernelFile.read("/proc/self/fdinfo/\(fd)") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("memlock:") {
            return Int(line.dropFirst("memlock:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// The value stored under `key`, or nil when there is none.
    public func lookup(_ key: [UInt8]) -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: lookupValueSize)
        let result = key.withUnsafeBytes { keyBuffer in
            value.withUnsafeMutableBytes { bpf_map_lookup_elem(fd, keyBuffer.baseAddress, $0.baseAddress) }
        }
        return result == 0 ? value : nil
    }

    /// Reads one u64 slot of a per-CPU array, summed over CPUs.
    public func sumSlot(_ index: UInt32) -> UInt64 {
        var key = index
        var value = [UInt8](repeating: 0, count: lookupValueSize)
        let result = value.withUnsafeMutableBytes { bpf_map_lookup_elem(fd, &key, $0.baseAddress) }
        guard result == 0 else { return 0 }
        return foldPerCPU(value).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }

    /// A second owner of the same kernel map (its own fd, the same fold): it keeps
    /// reading after this one is closed, and the map lives until both are.
    public func duplicate() throws(KernelError) -> KernelMap {
        let twin = try KernelMap.adoptingDuplicate(of: fd, name: name, operation: .readMap)
        twin.fold = fold
        return twin
    }

    /// Owns a duplicate of `fd`, a map descriptor someone else keeps (libbpf's object,
    /// another KernelMap). Close-on-exec like libbpf's own fds: clang and traced
    /// workloads must not inherit it.
    static func adoptingDuplicate(of fd: Int32, name: String, operation: KernelError.Operation) throws(KernelError) -> KernelMap {
        let copy = try LibBPF.checkSystemCall(fcntl(fd, F_DUPFD_CLOEXEC, 0), operation, "'\(name)'")
        return try KernelMap(adopting: copy, name: name)
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    deinit {
        assert(isClosed, "KernelMap '\(name)' released without close(): teardown missed it")
        close()
    }
}

extension KernelMap {
    /// A stack map's entry: return addresses innermost first, up to the first zero.
    /// Read straight into the array returned (a print looks up thousands of stacks).
    func stackAddresses(id: Int32) -> [UInt64]? {
        var key = UInt32(bitPattern: id)
        var addresses = [UInt64](repeating: 0, count: (lookupValueSize + 7) / 8)
        let result = addresses.withUnsafeMutableBytes { bpf_map_lookup_elem(fd, &key, $0.baseAddress) }
        guard result == 0 else { return nil }
        if let end = addresses.firstIndex(of: 0) { addresses.removeSubrange(end...) }
        return addresses
    }
}
