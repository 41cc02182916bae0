/// A counter map's keys and u64 values in two flat arrays: a million entries without a
/// `RawEntry` (two arrays) or a `Value` per cell.
public struct FlatCounters: Sendable {
    public var keySize: Int
    public var keys: [UInt8]
    public var values: [UInt64]

    public init(keySize: Int, keys: [UInt8] = [], values: [UInt64] = []) {
        self.keySize = keySize
        self.keys = keys
        self.values = values
    }

    public var count: Int { values.count }

    func key(at index: Int) -> ArraySlice<UInt8> {
        keys[index * keySize..<(index + 1) * keySize]
    }
}

/// The full print of a big counter map (`count<K>`, `hash<K, u64>`), streamed: rows are
/// sorted as `print` sorts them (count descending, then key) on numbers and key texts
/// alone, and written a chunk at a time, so memory stays near the map's own size.
/// Only keys that are integers or text (comm_t, str_t) take this path; others, and
/// maps up to `threshold` keys, are printed whole.
struct LargeTable {
    static let threshold = 50_000
    static let rowsPerChunk = 8192

    enum Keys {
        case unsigned([UInt64])
        case signed([Int64])
        case text([String])
    }

    let name: String
    /// "COUNT" or "VALUE".
    let valueTitle: String
    let keys: Keys
    let values: [UInt64]
    /// Row order: indexes into `keys` and `values`.
    let order: [Int]

    init?(name: String, valueLabel: String, keyType: ValueType, counters: FlatCounters, byKey: Bool = false) {
        guard counters.count > 0 else { return nil }
        switch keyType.resolved {
        case let .integer(size, isSigned, isChar, isBool) where !isChar && !isBool && size <= 8:
            let raw = (0..<counters.count).map { index in
                counters.key(at: index).withUnsafeBytes { ValueDecoder.loadInteger($0, offset: 0, size: size) }
            }
            keys = isSigned ? .signed(raw.map { ValueDecoder.signExtend($0, size: size) }) : .unsigned(raw)
        default:
            // comm_t and str_t decode to text; any other key keeps the general path.
            guard case .string = ValueDecoder.decode(Array(counters.key(at: 0)), as: keyType) else { return nil }
            keys = .text((0..<counters.count).map { ValueDecoder.decode(Array(counters.key(at: $0)), as: keyType).description })
        }
        self.name = name
        valueTitle = valueLabel.uppercased()
        values = counters.values
        let values = counters.values
        let indexes = Array(0..<counters.count)
        // `sort key`: keys ascending; otherwise counts descending, equal counts by key.
        func sorted<Key: Comparable>(by keys: [Key]) -> [Int] {
            byKey ? indexes.sorted { keys[$0] < keys[$1] }
                : indexes.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : keys[$0] < keys[$1] }
        }
        switch keys {
        case let .unsigned(numbers): order = sorted(by: numbers)
        case let .signed(numbers): order = sorted(by: numbers)
        case let .text(texts): order = sorted(by: texts)
        }
    }

    var isNumericKey: Bool {
        if case .text = keys { return false }
        return true
    }

    func keyText(_ index: Int) -> String {
        switch keys {
        case let .unsigned(numbers): return String(numbers[index])
        case let .signed(numbers): return String(numbers[index])
        case let .text(texts): return texts[index]
        }
    }

    /// The widest key's width in characters. Numbers: the widest is the largest, or the
    /// most negative (no string per row to find it).
    var keyWidth: Int {
        switch keys {
        case let .unsigned(numbers): return String(numbers.max() ?? 0).count
        case let .signed(numbers): return max(String(numbers.max() ?? 0).count, String(numbers.min() ?? 0).count)
        case let .text(texts): return texts.reduce(0) { max($0, $1.count) }
        }
    }

    /// The row ranges written one at a time.
    var chunks: [Range<Int>] {
        stride(from: 0, to: order.count, by: Self.rowsPerChunk).map { $0..<min($0 + Self.rowsPerChunk, order.count) }
    }
}
