/// What a map holds, decoded and shaped for its kind: a table or histograms.
public enum MapContents: Equatable, Sendable {
    case table(Table)
    /// A keyless counter: one number.
    case scalar(Value)
    case histogram(Histogram)
    case keyedHistograms([KeyedHistogram])

    public struct Row: Equatable, Sendable {
        public var key: Value
        public var value: Value
    }

    public struct Table: Equatable, Sendable {
        public var keyType: ValueType
        public var valueType: ValueType
        /// "count" for counters, "value" otherwise.
        public var valueLabel: String
        public var rows: [Row]
    }

    public struct KeyedHistogram: Equatable, Sendable {
        public var key: Value
        public var histogram: Histogram
    }

    /// How rows are ordered and cut.
    public struct Selection: Equatable, Sendable {
        public enum Order: Equatable, Sendable { case valueDescending, keyAscending }
        public var order: Order = .valueDescending
        public var limit: Int?

        public init(order: Order = .valueDescending, limit: Int? = nil) {
            self.order = order
            self.limit = limit
        }
    }

    /// stats<K> rows with an average, or only the min or max column for min<K>/max<K>.
    static func statsTable(shows: MapKind.StatsColumns, keyType: ValueType, entries: [RawEntry], selection: Selection,
                           stacks: StackResolver?) -> Table {
        func word(_ bytes: [UInt8], _ index: Int) -> Int64 {
            bytes.withUnsafeBytes { $0.count >= (index + 1) * 8 ? $0.loadUnaligned(fromByteOffset: index * 8, as: Int64.self) : 0 }
        }
        let signed = ValueType.integer(size: 8, isSigned: true, isChar: false, isBool: false)
        var rows: [Row] = entries.map { entry in
            let key = ValueDecoder.decode(entry.key, as: keyType)
            let (count, sum, minimum, maximum) = (word(entry.value, 0), word(entry.value, 1), word(entry.value, 2), word(entry.value, 3))
            let value: Value
            switch shows {
            case .all:
                value = .record([.init("count", .unsigned(UInt64(count))), .init("sum", .signed(sum)), .init("min", .signed(minimum)),
                                 .init("max", .signed(maximum)), .init("avg", .signed(count > 0 ? sum / count : 0))])
            case .minimum: value = .signed(minimum)
            case .maximum: value = .signed(maximum)
            }
            return Row(key: key, value: value)
        }
        rows.sort { a, b in
            switch selection.order {
            case .keyAscending: return valueOrder(a.key, b.key)
            case .valueDescending:
                // stats sort by count; min ascending would be surprising: biggest first for all.
                let (x, y) = (statsSortValue(a.value), statsSortValue(b.value))
                return x == y ? valueOrder(a.key, b.key) : x > y
            }
        }
        if let limit = selection.limit { rows = Array(rows.prefix(limit)) }
        if let stacks { rows = rows.map { Row(key: $0.key.resolvingStacks(stacks), value: $0.value) } }
        let fields = ["count", "sum", "min", "max", "avg"].enumerated().map {
            ValueType.Field(name: $0.element, bitOffset: $0.offset * 64, type: $0.element == "count" ? .u64 : signed)
        }
        let valueType: ValueType = shows == .all ? .record(.init(name: "stats", size: 40, fields: fields)) : signed
        return Table(keyType: keyType, valueType: valueType, valueLabel: shows == .all ? "value" : shows.rawValue, rows: rows)
    }

    private static func statsSortValue(_ value: Value) -> Double {
        if case let .record(members) = value { return members.first?.value.numeric ?? 0 }
        return value.numeric ?? 0
    }

    /// Shapes raw entries: `keyType`/`valueType` come from the map's BTF.
    public static func build(kind: MapKind, keyType: ValueType, valueType: ValueType, entries: [RawEntry],
                             selection: Selection = Selection(), stacks: StackResolver? = nil) -> MapContents {
        switch kind {
        case .hist(nil), .lhist:
            var slots: [Int: UInt64] = [:]
            for entry in entries {
                guard case let .unsigned(slot) = ValueDecoder.decode(entry.key, as: .u32),
                      case let .unsigned(count) = ValueDecoder.decode(entry.value, as: .u64) else { continue }
                slots[Int(slot), default: 0] &+= count
            }
            if case let .lhist(min, max, step) = kind {
                return .histogram(.linear(slots: slots, min: min, max: max, step: step))
            }
            return .histogram(.log2(slots: slots))
        case .hist(_?):
            // Keys are { key, slot }: group the slots of each key into one histogram.
            var groups: [(Value, [Int: UInt64])] = []
            guard case let .record(record) = keyType.resolved, record.fields.count == 2 else {
                return .keyedHistograms([])
            }
            let userKeyType = record.fields[0].type
            let slotOffset = record.fields[1].bitOffset / 8
            for entry in entries {
                let userKey = ValueDecoder.decode(Array(entry.key.prefix(userKeyType.size)), as: userKeyType)
                let slot = Int(ValueDecoder.decode(Array(entry.key[slotOffset..<slotOffset + 4]), as: .u32).numeric ?? 0)
                let count = UInt64(ValueDecoder.decode(entry.value, as: .u64).numeric ?? 0)
                if let index = groups.firstIndex(where: { $0.0 == userKey }) {
                    groups[index].1[slot, default: 0] &+= count
                } else {
                    groups.append((userKey, [slot: count]))
                }
            }
            var keyed = groups.map { KeyedHistogram(key: $0.0, histogram: .log2(slots: $0.1)) }
            keyed.sort { valueOrder($0.key, $1.key) }
            if let limit = selection.limit { keyed = Array(keyed.prefix(limit)) }
            if let stacks { keyed = keyed.map { KeyedHistogram(key: $0.key.resolvingStacks(stacks), histogram: $0.histogram) } }
            return .keyedHistograms(keyed)
        case let .stats(_, shows):
            return .table(statsTable(shows: shows, keyType: keyType, entries: entries, selection: selection, stacks: stacks))
        case .count(nil):
            // One slot, summed over CPUs by the reader; absent only before any update.
            let value = entries.first.map { ValueDecoder.decode($0.value, as: valueType) } ?? .unsigned(0)
            return .scalar(value)
        case .hash, .count, .array:
            var rows: [Row] = []
            let isArray: Bool
            if case .array = kind { isArray = true } else { isArray = false }
            for entry in entries {
                // Array slots always exist: show only the ones that were written.
                if isArray, entry.value.allSatisfy({ $0 == 0 }) { continue }
                rows.append(Row(key: ValueDecoder.decode(entry.key, as: keyType),
                                value: ValueDecoder.decode(entry.value, as: valueType)))
            }
            switch selection.order {
            case .valueDescending:
                rows.sort { a, b in
                    if a.value == b.value { return valueOrder(a.key, b.key) }
                    return valueOrder(b.value, a.value)
                }
            case .keyAscending:
                rows.sort { valueOrder($0.key, $1.key) }
            }
            if let limit = selection.limit { rows = Array(rows.prefix(limit)) }
            // Symbolize only what is shown: a top 10 of a large map reads ten stacks.
            if let stacks {
                rows = rows.map { Row(key: $0.key.resolvingStacks(stacks), value: $0.value.resolvingStacks(stacks)) }
            }
            return .table(Table(keyType: keyType, valueType: valueType, valueLabel: kind.valueLabel, rows: rows))
        }
    }
}
