/// A probe the session loaded: its spec and source, and the backend's handle on it.
public final class AttachedProbe {
    public let number: Int
    public let name: String
    /// The specs as typed (a probe may list several).
    public let specs: [ProbeSpec]
    public let points: [AttachPoint]
    /// The command as typed, for `show` and `save`.
    public let source: String
    public let unit: GeneratedUnit
    let handle: any ProbeHandle
    /// The session maps bound into it (a map in use cannot be dropped).
    public let mapNames: [String]
    public let compileMilliseconds: Double
    public let loadMilliseconds: Double

    init(number: Int, name: String, specs: [ProbeSpec], points: [AttachPoint], source: String, unit: GeneratedUnit,
         handle: any ProbeHandle, mapNames: [String], compileMilliseconds: Double, loadMilliseconds: Double) {
        self.number = number
        self.name = name
        self.specs = specs
        self.points = points
        self.source = source
        self.unit = unit
        self.handle = handle
        self.mapNames = mapNames
        self.compileMilliseconds = compileMilliseconds
        self.loadMilliseconds = loadMilliseconds
    }

    public var isAttached: Bool { handle.isAttached }

    /// The specs as one line: "tracepoint:a:b, tracepoint:c:d".
    public var specText: String { specs.map(\.description).joined(separator: ", ") }
}

/// probe_name()'s value: the probe's number and the point's index in it, so a key
/// still names its point after the probe is dropped.
enum ProbePoint {
    static func id(probe: Int, index: Int) -> UInt32 {
        UInt32(probe) << 16 | UInt32(index)
    }
}
