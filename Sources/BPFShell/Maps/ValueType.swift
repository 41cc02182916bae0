/// The shape of a map key or value, read from BTF: enough to decode bytes into values.
public indirect enum ValueType: Equatable, Sendable {
    case integer(size: Int, isSigned: Bool, isChar: Bool, isBool: Bool)
    case float(size: Int)
    case pointer
    case array(element: ValueType, count: Int)
    case record(Record)
    case enumeration(Enumeration)
    /// A typedef: kept for its name (comm_t prints as a string).
    case named(String, ValueType)
    case opaque(size: Int)

    public struct Field: Equatable, Sendable {
        public var name: String
        public var bitOffset: Int
        /// Non-zero for bitfields.
        public var bitSize: Int
        public var type: ValueType

        public init(name: String, bitOffset: Int, bitSize: Int = 0, type: ValueType) {
            self.name = name
            self.bitOffset = bitOffset
            self.bitSize = bitSize
            self.type = type
        }
    }

    public struct Record: Equatable, Sendable {
        public var name: String
        public var size: Int
        public var isUnion: Bool
        public var fields: [Field]

        public init(name: String, size: Int, isUnion: Bool = false, fields: [Field]) {
            self.name = name
            self.size = size
            self.isUnion = isUnion
            self.fields = fields
        }
    }

    public struct Enumeration: Equatable, Sendable {
        public var name: String
        public var size: Int
        public var isSigned: Bool
        public var cases: [String: Int64]

        public init(name: String, size: Int, isSigned: Bool, cases: [String: Int64]) {
            self.name = name
            self.size = size
            self.isSigned = isSigned
            self.cases = cases
        }
    }

    public static let u64 = ValueType.integer(size: 8, isSigned: false, isChar: false, isBool: false)
    public static let u32 = ValueType.integer(size: 4, isSigned: false, isChar: false, isBool: false)

    public var size: Int {
        switch self {
        case let .integer(size, _, _, _): return size
        case let .float(size): return size
        case .pointer: return 8
        case let .array(element, count): return element.size * count
        case let .record(record): return record.size
        case let .enumeration(enumeration): return enumeration.size
        case let .named(_, type): return type.size
        case let .opaque(size): return size
        }
    }

    /// The type with typedef names peeled off.
    public var resolved: ValueType {
        if case let .named(_, type) = self { return type.resolved }
        return self
    }

    /// A C-like spelling for tables and `maps`.
    public var displayName: String {
        switch self {
        case let .integer(size, isSigned, isChar, isBool):
            if isBool { return "bool" }
            if isChar { return "char" }
            return (isSigned ? "s" : "u") + String(size * 8)
        case let .float(size): return size == 4 ? "float" : "double"
        case .pointer: return "void *"
        case let .array(element, count): return "\(element.displayName)[\(count)]"
        case let .record(record): return (record.isUnion ? "union " : "struct ") + (record.name.isEmpty ? "{…}" : record.name)
        case let .enumeration(enumeration): return "enum " + enumeration.name
        case let .named(name, _): return name
        case let .opaque(size): return "opaque[\(size)]"
        }
    }
}
