/// A decoded key or value, ready for any renderer.
public indirect enum Value: Equatable, Sendable, CustomStringConvertible {
    case signed(Int64)
    case unsigned(UInt64)
    case bool(Bool)
    case float(Double)
    case string(String)
    case pointer(UInt64)
    case enumCase(String, Int64)
    case record([Member])
    case array([Value])
    /// A kernel or user stack: its id in the stack map and, once resolved, its frames.
    case stack(StackTrace)
    /// A number that names something only the session knows (probe_name()'s point),
    /// and, once resolved, that name.
    case symbol(SymbolReference, name: String?)

    public struct Member: Equatable, Sendable {
        public var name: String
        public var value: Value

        public init(_ name: String, _ value: Value) {
            self.name = name
            self.value = value
        }
    }

    public var description: String {
        switch self {
        case let .signed(value): return String(value)
        case let .unsigned(value): return String(value)
        case let .bool(value): return value ? "true" : "false"
        case let .float(value): return String(value)
        case let .string(value): return value
        case let .pointer(value): return "0x" + String(value, radix: 16)
        case let .enumCase(name, value): return name.isEmpty ? String(value) : name
        case let .record(members):
            return "{ " + members.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + " }"
        case let .array(values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case let .stack(stack): return stack.frames.joined(separator: "; ")
        case let .symbol(reference, name): return name ?? reference.fallbackName
        }
    }

    /// A number for sorting and histogram counts; nil for non-numeric values.
    public var numeric: Double? {
        switch self {
        case let .signed(value): return Double(value)
        case let .unsigned(value): return Double(value)
        case let .float(value): return value
        case let .bool(value): return value ? 1 : 0
        case let .enumCase(_, value): return Double(value)
        case let .pointer(value): return Double(value)
        default: return nil
        }
    }

    public var isNumeric: Bool { numeric != nil }
}

/// A stack captured by kstack() or ustack().
public struct StackTrace: Equatable, Sendable {
    public var isUser: Bool
    /// The stack map id; negative is the errno bpf_get_stackid returned.
    public var id: Int32
    public var pid: UInt32?
    /// Innermost first; empty until resolved.
    public var frames: [String]

    public init(isUser: Bool, id: Int32, pid: UInt32?, frames: [String] = []) {
        self.isUser = isUser
        self.id = id
        self.pid = pid
        self.frames = frames
    }
}

/// What a symbolic value refers to.
public enum SymbolReference: Equatable, Sendable {
    /// probe_name(): the probe's number in the high 16 bits, the point's index below.
    case probePoint(UInt32)
    /// ksym(): a kernel code address.
    case kernelAddress(UInt64)
    /// usym(): a code address in a process.
    case userAddress(pid: UInt32, address: UInt64)

    /// How it reads when the session cannot name it.
    var fallbackName: String {
        switch self {
        case let .probePoint(id): return "probe \(id >> 16) point \(id & 0xffff)"
        case let .kernelAddress(address), let .userAddress(_, address): return "0x" + String(address, radix: 16)
        }
    }
}

/// Turns stack ids into symbolized frames (implemented against the kernel's stack map),
/// and symbolic values into names.
public protocol StackResolver {
    func frames(for stack: StackTrace) -> [String]
    func name(of reference: SymbolReference) -> String?
}

extension Value {
    /// The value with every stack inside it symbolized.
    func resolvingStacks(_ resolver: StackResolver) -> Value {
        switch self {
        case var .stack(stack):
            stack.frames = resolver.frames(for: stack)
            return .stack(stack)
        case let .symbol(reference, _):
            return .symbol(reference, name: resolver.name(of: reference))
        case let .record(members):
            return .record(members.map { Member($0.name, $0.value.resolvingStacks(resolver)) })
        case let .array(values):
            return .array(values.map { $0.resolvingStacks(resolver) })
        default:
            return self
        }
    }

    var containsStack: Bool {
        switch self {
        case .stack: return true
        case let .record(members): return members.contains { $0.value.containsStack }
        case let .array(values): return values.contains { $0.containsStack }
        default: return false
        }
    }
}

/// Orders values the way a user expects a table sorted: numbers by value, the rest by text.
public func valueOrder(_ a: Value, _ b: Value) -> Bool {
    // Integers exactly (a Double cannot tell u64 counts past 2^53 apart), mixed through Double.
    switch (a, b) {
    case let (.unsigned(x), .unsigned(y)): return x < y
    case let (.signed(x), .signed(y)): return x < y
    default: break
    }
    if let x = a.numeric, let y = b.numeric { return x < y }
    if case let .record(left) = a, case let .record(right) = b {
        for (l, r) in zip(left, right) where l.value != r.value { return valueOrder(l.value, r.value) }
        return false
    }
    return a.description < b.description
}
