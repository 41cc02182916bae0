/// A map that belongs to the session: created by `map`, shared by every probe that
/// names it, alive until the session ends whatever happens to probes.
public final class SessionMap {
    public let decl: MapDecl
    /// The number probes use for this map's failure counter.
    public let id: Int
    let handle: any MapHandle
    public let keyType: ValueType
    public let valueType: ValueType
    /// Failed updates already reported, so only new ones are announced.
    var reportedFailures: UInt64 = 0

    init(decl: MapDecl, id: Int, created: CreatedMap) {
        self.decl = decl
        self.id = id
        handle = created.handle
        keyType = created.keyType
        valueType = created.valueType
    }

    var definition: MapDefinition { MapDefinition(decl: decl, id: id) }
    public var maxEntries: Int { handle.maxEntries }
}
