@testable import BPFShell

/// A made-up profile shaped like real ones, the same on every run: a few processes, call paths
/// that share long prefixes and branch mostly into one or two hot children, a kernel tail on a
/// third of the stacks, and sample counts with a long tail (most stacks seen once or twice).
struct SyntheticProfile {
    /// SplitMix64: small, fast and the same everywhere, unlike SystemRandomNumberGenerator.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }

    var functionNames = 3000
    var kernelNames = 400
    var processes = 8

    func stacks(_ count: Int, seed: UInt64 = 42) -> [FoldedStack] {
        var random = Random(state: seed)
        // Frames made once and shared: four million string interpolations dominated debug test runs.
        let names = Names(functions: (0..<functionNames).map { FlameFrame("func_\($0)", kind: .user) },
                          kernel: (0..<kernelNames).map { FlameFrame("k_func_\($0)", kind: .kernel) },
                          processes: (0..<processes).map { FlameFrame("proc_\($0)", kind: .process) })
        return (0..<count).map { _ in stack(&random, names) }
    }

    private struct Names {
        var functions: [FlameFrame]
        var kernel: [FlameFrame]
        var processes: [FlameFrame]
    }

    private func stack(_ random: inout Random, _ names: Names) -> FoldedStack {
        let depth = Int.random(in: 20...60, using: &random)
        let kernelDepth = random.next() % 3 == 0 ? Int.random(in: 3...8, using: &random) : 0
        let process = skewed(processes, &random)
        var frames = [names.processes[process]]
        frames.reserveCapacity(depth + 1)
        var path = UInt64(process) &* 0x2545_F491_4F6C_DD1D
        for level in 1...depth {
            // Most calls lead to one callee (long shared chains), some branch, the first branch far
            // more likely, and the last levels (leaf functions) vary most: the shape of real profiles.
            let fanout = level > depth - 3 ? 12 : [1, 1, 1, 1, 1, 1, 1, 2, 2, 5][Int((path >> 40) % 10)]
            path = (path ^ UInt64(skewed(fanout, &random) + 1)) &* 0x100_0000_01B3 &+ UInt64(level)
            let isKernel = level > depth - kernelDepth
            frames.append(isKernel ? names.kernel[Int(path % UInt64(kernelNames))] : names.functions[Int(path % UInt64(functionNames))])
        }
        return FoldedStack(frames: frames, count: 1 + UInt64(1 << Int.random(in: 0...12, using: &random)) / UInt64(Int.random(in: 1...64, using: &random)))
    }

    /// 0 with probability 0.6, 1 with 0.25, then the rest: how hot paths dominate a profile.
    private func skewed(_ choices: Int, _ random: inout Random) -> Int {
        let roll = Double(random.next() % 1000) / 1000
        if roll < 0.6 || choices == 1 { return 0 }
        if roll < 0.85 || choices == 2 { return 1 }
        return 2 + Int(random.next() % UInt64(choices - 2))
    }
}
