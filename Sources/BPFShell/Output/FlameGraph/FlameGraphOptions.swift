/// How a flame graph is drawn; the defaults are flamegraph.pl's.
public struct FlameGraphOptions: Sendable {
    /// Colour families users know from flamegraph.pl's --colors.
    public enum Palette: String, Sendable, CaseIterable {
        /// Every frame orange.
        case kernel
        /// Every frame red to yellow (flamegraph.pl's "hot").
        case user
        /// Green for JIT-compiled and Java frames, aqua for inlined, yellow for C++, orange for kernel, red otherwise.
        case java
        /// Every frame blue.
        case io
    }

    public var title = "Flame Graph"
    public var subtitle: String? = nil
    /// nil: colour by frame kind (kernel frames one family, user another, process frames a third).
    public var palette: Palette? = nil
    /// Pixels.
    public var width = 1200
    /// Pixels; narrower frames are merged away, as flamegraph.pl does.
    public var minWidth = 0.1
    /// An icicle graph: the root at the top.
    public var inverted = false
    public var countName = "samples"
    /// Roughly the largest file to write, in bytes. A profile with very many frames wider than
    /// minWidth would make an SVG no browser opens comfortably; its narrowest frames are then left
    /// out too, and the graph says how many.
    public var maxFileSize = 4_500_000

    public init() {}
}
