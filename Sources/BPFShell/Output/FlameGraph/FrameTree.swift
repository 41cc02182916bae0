/// Stacks merged into one tree, as a flame graph draws them: frames with the same name at the same
/// place under the same parent become one node; children are in alphabetical order (flamegraph.pl's);
/// nodes too narrow to draw are dropped while the tree is built, so memory follows what is drawn,
/// not what was sampled.
struct FrameTree {
    struct Node {
        /// Index into `frames`; `FrameTree.rootFrame` for the "all" node at the root.
        var frame: Int32
        var depth: Int32
        /// Samples left of this node at its depth (its x), counted in `after` samples.
        var start: UInt64
        var count: UInt64
        /// Samples of the same frame path in the `before` stacks (differential graphs only).
        var before: UInt64
    }

    static let rootFrame: Int32 = -1

    /// Every distinct frame of the input, indexed by `Node.frame`.
    private(set) var frames: [FlameFrame] = []
    /// Depth-first, parents before children, siblings alphabetical: a node's descendants follow it.
    private(set) var nodes: [Node] = []
    private(set) var total: UInt64 = 0
    private(set) var beforeTotal: UInt64 = 0
    private(set) var maxDepth = 0

    /// - Parameter minimumFraction: nodes with fewer than this fraction of all `after` samples are left out.
    init(_ after: [FoldedStack], before: [FoldedStack] = [], minimumFraction: Double) {
        total = after.reduce(0) { $0 &+ $1.count }
        beforeTotal = before.reduce(0) { $0 &+ $1.count }
        var paths = RankedPaths()
        for stack in after { paths.add(stack, isBefore: false) }
        for stack in before { paths.add(stack, isBefore: true) }
        frames = paths.rankFrames()
        build(from: paths, minimumCount: max(minimumFraction, 0) * Double(total))
    }

    /// One open node on the path from the root to the stack being merged.
    private struct OpenNode {
        var index: Int
        var rank: Int32
        var start: UInt64
        var count: UInt64 = 0
        var before: UInt64 = 0
        var childrenCount: UInt64 = 0
    }

    /// Merging stacks in sorted order means a node is complete once a stack leaves it: its count is
    /// final when it is closed, so a narrow node (always the last one appended, its descendants being
    /// narrower still) is removed right there.
    private mutating func build(from paths: RankedPaths, minimumCount: Double) {
        guard total > 0 else { return }
        nodes.append(Node(frame: Self.rootFrame, depth: 0, start: 0, count: 0, before: 0))
        var open = [OpenNode(index: 0, rank: Self.rootFrame, start: 0)]
        paths.ranks.withUnsafeBufferPointer { ranks in
            for stack in paths.sortedStacks() {
                let path = ranks[paths.range(of: stack)]
                var common = 0
                while common < path.count, common + 1 < open.count,
                      open[common + 1].rank == path[path.startIndex + common] { common += 1 }
                while open.count > common + 1 { close(&open, minimumCount: minimumCount) }
                for rank in path.dropFirst(common) {
                    let parent = open[open.count - 1]
                    let start = parent.start + parent.childrenCount
                    nodes.append(Node(frame: rank, depth: Int32(open.count), start: start, count: 0, before: 0))
                    open.append(OpenNode(index: nodes.count - 1, rank: rank, start: start))
                    maxDepth = max(maxDepth, open.count - 1)
                }
                if paths.isBefore[stack] {
                    open[open.count - 1].before += paths.counts[stack]
                } else {
                    open[open.count - 1].count += paths.counts[stack]
                }
            }
        }
        while open.count > 1 { close(&open, minimumCount: minimumCount) }
        nodes[0].count = open[0].count
        nodes[0].before = open[0].before
    }

    private mutating func close(_ open: inout [OpenNode], minimumCount: Double) {
        let node = open.removeLast()
        open[open.count - 1].count += node.count
        open[open.count - 1].before += node.before
        open[open.count - 1].childrenCount += node.count
        if node.count == 0 || Double(node.count) < minimumCount {
            nodes.removeLast() // narrower descendants are gone already, so this node is the last one
        } else {
            nodes[node.index].count = node.count
            nodes[node.index].before = node.before
        }
    }
}

/// Every stack as a run of frame numbers in one flat buffer; once all stacks are in, the numbers
/// become alphabetical ranks so that sorting runs of integers sorts the stacks by name.
private struct RankedPaths {
    var ranks: [Int32] = []
    var ends: [Int] = []
    var counts: [UInt64] = []
    var isBefore: [Bool] = []
    private var numbers: [FlameFrame: Int32] = [:]
    private var framesByNumber: [FlameFrame] = []
    private var previous: [FlameFrame] = []
    private var previousStart = 0

    mutating func add(_ stack: FoldedStack, isBefore before: Bool) {
        let pathStart = ranks.count
        for (depth, frame) in stack.frames.enumerated() {
            // Stacks usually arrive grouped (folded output is sorted): a frame equal to the previous
            // stack's at this depth reuses its number without hashing the name.
            if depth < previous.count, previous[depth] == frame {
                ranks.append(ranks[previousStart + depth])
                continue
            }
            if let number = numbers[frame] {
                ranks.append(number)
            } else {
                let number = Int32(framesByNumber.count)
                numbers[frame] = number
                framesByNumber.append(frame)
                ranks.append(number)
            }
        }
        previous = stack.frames
        previousStart = pathStart
        ends.append(ranks.count)
        counts.append(stack.count)
        isBefore.append(before)
    }

    func range(of stack: Int) -> Range<Int> {
        (stack == 0 ? 0 : ends[stack - 1])..<ends[stack]
    }

    /// Renumbers frames by name (then kind) and returns the frames in that order.
    mutating func rankFrames() -> [FlameFrame] {
        let order = framesByNumber.indices.sorted { lhs, rhs in
            let (left, right) = (framesByNumber[lhs], framesByNumber[rhs])
            return left.name != right.name ? left.name < right.name : left.kind.sortOrder < right.kind.sortOrder
        }
        var rankOfNumber = [Int32](repeating: 0, count: order.count)
        for (rank, number) in order.enumerated() { rankOfNumber[number] = Int32(rank) }
        for index in ranks.indices { ranks[index] = rankOfNumber[Int(ranks[index])] }
        numbers = [:]
        return order.map { framesByNumber[$0] }
    }

    func sortedStacks() -> [Int] {
        ranks.withUnsafeBufferPointer { ranks in
            Array(counts.indices).sorted { lhs, rhs in precedes(range(of: lhs), range(of: rhs), in: ranks) }
        }
    }

    /// Lexicographic order of two runs, a prefix first. Written out as a loop over the buffer:
    /// the generic lexicographicallyPrecedes over slices took most of a debug-build render.
    private func precedes(_ lhs: Range<Int>, _ rhs: Range<Int>, in ranks: UnsafeBufferPointer<Int32>) -> Bool {
        let shared = min(lhs.count, rhs.count)
        var offset = 0
        while offset < shared {
            let (left, right) = (ranks[lhs.lowerBound + offset], ranks[rhs.lowerBound + offset])
            if left != right { return left < right }
            offset += 1
        }
        return lhs.count < rhs.count
    }
}

private extension FlameFrame.Kind {
    var sortOrder: Int {
        switch self {
        case .process: return 0
        case .kernel: return 1
        case .user: return 2
        case .other: return 3
        }
    }
}
