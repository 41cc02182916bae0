/// A probe the session loaded: its spec and source, and the backend's handle on it.
public final class AttachedProbe {
    public let number: Int
    public let name: String
    public let spec: ProbeSpec
    public let points: [AttachPoint]
    /// The command as typed, for `show` and `save`.
    public let source: String
    public let unit: GeneratedUnit
    let handle: any ProbeHandle
    public let compileMilliseconds: Double
    public let loadMilliseconds: Double

    init(number: Int, name: String, spec: ProbeSpec, points: [AttachPoint], source: String, unit: GeneratedUnit,
         handle: any ProbeHandle, compileMilliseconds: Double, loadMilliseconds: Double) {
        self.number = number
        self.name = name
        self.spec = spec
        self.points = points
        self.source = source
        self.unit = unit
        self.handle = handle
        self.compileMilliseconds = compileMilliseconds
        self.loadMilliseconds = loadMilliseconds
    }

    public var isAttached: Bool { handle.isAttached }
}
