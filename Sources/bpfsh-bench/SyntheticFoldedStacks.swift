import Foundation

/// A synthetic profile in folded form (`root;f1;…;fN COUNT`, root first), the same
/// bytes on every run: the input of the flame graph row, for bpfsh and flamegraph.pl.
///
/// Its shape follows a real whole-system profile: a few processes as roots, stacks that
/// share prefixes (each new stack branches off an earlier one), callees drawn from a
/// small set per caller (so subtrees repeat), and thousands of function names. With the
/// defaults, 100,000 distinct stacks of depth 20–60 make about 33 MB, the size of the
/// input on which flamegraph.pl took 22.4 s and 1.5 GB.
struct SyntheticFoldedStacks {
    var stackCount = 100_000
    var depths = 20...60
    var functionCount = 6000

    static let roots = ["nginx", "postgres", "java", "python3", "node", "envoy"]
    /// Word stems of the function names: `parse_412`, `lock_7`, … (about 7 bytes each,
    /// which gives the 33 MB of the measured input).
    private static let stems = ["rd", "wr", "parse", "lock", "alloc", "free", "hash", "copy", "scan", "sort",
                                "send", "recv", "poll", "wake", "emit", "load", "store", "map", "find", "walk"]

    /// Writes the file unless it is already there (the name carries the parameters, and
    /// the output depends on nothing else).
    func write(into directory: String) throws -> String {
        let path = "\(directory)/synthetic-\(stackCount)-\(depths.lowerBound)-\(depths.upperBound)-v1.folded"
        if FileManager.default.fileExists(atPath: path) { return path }
        let partial = path + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil),
              let handle = FileHandle(forWritingAtPath: partial) else {
            throw ReferenceBuild.BuildError(description: "cannot write \(partial)")
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 21)
        for (stack, count) in stacks() {
            for (index, frame) in stack.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ";")) }
                buffer += index == 0 ? Array(Self.roots[Int(frame)].utf8) : Array(name(frame).utf8)
            }
            buffer += Array(" \(count)\n".utf8)
            if buffer.count >= 1 << 20 {
                handle.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(buffer))
        try handle.close()
        try FileManager.default.moveItem(atPath: partial, toPath: path)
        return path
    }

    private func name(_ function: Int32) -> String {
        let index = Int(function)
        return "\(Self.stems[index % Self.stems.count])_\(index / Self.stems.count)"
    }

    /// Distinct stacks (frame 0 is a root index, the others function indices) with
    /// their sample counts.
    private func stacks() -> [([Int32], Int)] {
        var random = SplitMix64(seed: 0x62_70_66_73_68)
        var seen: Set<[Int32]> = []
        var made: [([Int32], Int)] = []
        made.reserveCapacity(stackCount)
        while made.count < stackCount {
            let depth = depths.lowerBound + random.below(depths.count)
            var stack: [Int32]
            // Nine stacks in ten branch off an earlier one somewhere along it.
            if !made.isEmpty, random.below(10) < 9 {
                let earlier = made[random.below(made.count)].0
                stack = Array(earlier.prefix(1 + random.below(min(earlier.count, depth) - 1)))
            } else {
                stack = [Int32(random.below(Self.roots.count))]
            }
            while stack.count < depth {
                // A caller calls one of 16 callees of its own: subtrees repeat, as in code.
                let caller = Int(stack.count == 1 ? stack[0] * 977 : stack[stack.count - 1])
                stack.append(Int32((caller &* 31 &+ 7 &+ random.below(16) &* 389) % functionCount))
            }
            guard seen.insert(stack).inserted else { continue }
            made.append((stack, 1 + random.below(500)))
        }
        return made
    }
}

/// A small deterministic generator (Steele, Lea and Flood's SplitMix64): the same
/// stacks on every machine, whatever the standard library's default generator does.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (bound > 0; the modulo bias is irrelevant here).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
