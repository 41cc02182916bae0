/// One frame of a sampled stack: a function (or the process it ran in) and where it lives,
/// which decides its colour when no palette is chosen.
public struct FlameFrame: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case kernel, user
        /// The comm/pid frame at the root, so one process's stacks stay together.
        case process
        case other
    }

    public var name: String
    public var kind: Kind

    public init(_ name: String, kind: Kind = .other) {
        self.name = name
        self.kind = kind
    }
}

/// A stack and how often it was seen, as folded by `stackcollapse` tools.
public struct FoldedStack: Sendable, Equatable {
    /// Root (outermost) first, leaf last.
    public var frames: [FlameFrame]
    public var count: UInt64

    public init(frames: [FlameFrame], count: UInt64) {
        self.frames = frames
        self.count = count
    }
}
