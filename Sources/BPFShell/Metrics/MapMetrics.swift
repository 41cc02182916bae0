/// A session map as metric families, by kind:
/// - `count`/`count<K>` (also what `sum()` adds into): a counter, `bpfsh_NAME_total`;
/// - `hist`, `hist<K>`, `lhist`: a histogram with cumulative `_bucket{le}` and `_count`
///   (no `_sum`: the kernel side keeps only slot counts). Buckets follow the declaration,
///   never the data, so series from many hosts and scrapes line up for `sum by (le)`;
/// - `stats<K>`: a summary (`_count`, `_sum`) plus gauges `_min` and `_max`;
///   `min<K>`/`max<K>`: a gauge;
/// - `hash<K,V>`: a gauge per numeric value (one per numeric field of a struct value);
///   `array<V>`: the same, labelled by `index`.
struct MapMetrics {
    let includeStacks: Bool
    let hostLabel: String?

    func families(name: String, decl: MapDecl, keyType: ValueType, contents: MapContents) -> [MetricFamily] {
        let base = "bpfsh_" + name
        let help = "bpfsh map \(name): \(decl.kind.description)"
        // A counter's samples end in _total: a map already named so is not doubled.
        let counterName = base.hasSuffix("_total") ? String(base.dropLast(6)) : base
        let isArray: Bool
        if case .array = decl.kind { isArray = true } else { isArray = false }
        switch (decl.kind, contents) {
        case let (.count, .scalar(value)):
            return [MetricFamily(name: counterName, kind: .counter, help: help,
                                 samples: [.init(suffix: "_total", labels: [], value: metric(value))])]
        case let (.count, .table(table)):
            let labels = labeler(reserving: [])
            var family = MetricFamily(name: counterName, kind: .counter, help: help)
            family.samples = table.rows.map {
                .init(suffix: "_total", labels: labels.labels(for: $0.key, type: keyType), value: metric($0.value))
            }
            return [merged(family, by: .sum)]
        case let (_, .histogram(histogram)):
            let layout = bounds(of: decl.kind)
            return [histogramFamily(base, help: help, layout: layout, series: [([], histogram)])]
        case let (.hist(key?), .keyedHistograms(keyed)):
            let labels = labeler(reserving: ["le"])
            let keyType = Self.userKeyType(of: keyType) ?? .named(key, .opaque(size: 0))
            let series = keyed.map { (labels.labels(for: $0.key, type: keyType), $0.histogram) }
            return [histogramFamily(base, help: help, layout: bounds(of: decl.kind), series: series)]
        case let (.stats(_, shows), .table(table)):
            return statsFamilies(base, help: help, shows: shows, keyType: keyType, rows: table.rows)
        case let (_, .table(table)):
            return gaugeFamilies(base, help: help, keyType: keyType, rows: table.rows, isArray: isArray)
        default:
            return []
        }
    }

    // MARK: Histograms

    /// The inclusive upper bounds of the finite buckets, from the declaration: log2 slots
    /// 0…61 end at 2^(k+1)-1; lhist has "below min", then one per step up to max.
    func bounds(of kind: MapKind) -> [Int64] {
        switch kind {
        case let .lhist(min, max, step):
            // Nothing is below Int64.min: then there is no "below min" bucket to bound.
            var bounds: [Int64] = min == Int64.min ? [] : [min - 1]
            var low = min
            while low < max {
                let (next, overflow) = low.addingReportingOverflow(step)
                let high = overflow ? max : Swift.min(next, max)
                bounds.append(high &- 1)
                if overflow { break }
                low = next
            }
            return bounds
        default:
            return (0...61).map { (Int64(1) << Int64($0 + 1)) - 1 }
        }
    }

    private func histogramFamily(_ name: String, help: String, layout: [Int64],
                                 series: [([MetricFamily.Label], Histogram)]) -> MetricFamily {
        var family = MetricFamily(name: name, kind: .histogram, help: help)
        // Merge first (stacks left out of the labels may join series), then make cumulative.
        var order: [[MetricFamily.Label]] = []
        var perSeries: [[MetricFamily.Label]: (buckets: [UInt64], total: UInt64)] = [:]
        for (labels, histogram) in series {
            var counts = perSeries[labels]?.buckets ?? [UInt64](repeating: 0, count: layout.count)
            var total = perSeries[labels]?.total ?? 0
            if perSeries[labels] == nil { order.append(labels) }
            for bucket in histogram.buckets {
                total &+= bucket.count
                // A bucket counts toward the first bound at or above its high end;
                // open-ended ones only toward +Inf.
                guard let high = bucket.high, high != Int64.max,
                      let index = firstIndex(in: layout, atLeast: high) else { continue }
                counts[index] &+= bucket.count
            }
            perSeries[labels] = (counts, total)
        }
        for labels in order {
            guard let (counts, total) = perSeries[labels] else { continue }
            var cumulative: UInt64 = 0
            for (bound, count) in zip(layout, counts) {
                cumulative &+= count
                family.samples.append(.init(suffix: "_bucket", labels: labels + [.init("le", String(bound))],
                                            value: .unsigned(cumulative)))
            }
            family.samples.append(.init(suffix: "_bucket", labels: labels + [.init("le", "+Inf")], value: .unsigned(total)))
            family.samples.append(.init(suffix: "_count", labels: labels, value: .unsigned(total)))
        }
        return family
    }

    private func firstIndex(in layout: [Int64], atLeast value: Int64) -> Int? {
        var low = 0, high = layout.count
        while low < high {
            let middle = (low + high) / 2
            if layout[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < layout.count ? low : nil
    }

    /// hist<K>'s key type is { K key; u32 slot; }: the labels come from K.
    private static func userKeyType(of keyType: ValueType) -> ValueType? {
        guard case let .record(record) = keyType.resolved, record.fields.count == 2 else { return nil }
        return record.fields[0].type
    }

    // MARK: Stats and gauges

    private func statsFamilies(_ name: String, help: String, shows: MapKind.StatsColumns, keyType: ValueType,
                               rows: [MapContents.Row]) -> [MetricFamily] {
        let labels = labeler(reserving: ["quantile"])
        guard shows == .all else {
            var family = MetricFamily(name: name, kind: .gauge, help: help)
            family.samples = rows.map { .init(labels: labels.labels(for: $0.key, type: keyType), value: metric($0.value)) }
            return [merged(family, by: shows == .minimum ? .minimum : .maximum)]
        }
        var summary = MetricFamily(name: name, kind: .summary, help: help)
        var minimum = MetricFamily(name: name + "_min", kind: .gauge, help: "smallest value in bpfsh map \(name)")
        var maximum = MetricFamily(name: name + "_max", kind: .gauge, help: "largest value in bpfsh map \(name)")
        // A summary's sum is a counter in OpenMetrics and may not be negative: when any is,
        // the sums go to a gauge of their own and the summary keeps its counts.
        var signedSums = MetricFamily(name: name + "_sum_signed", kind: .gauge,
                                      help: "sum of the values in bpfsh map \(name) (some are negative)")
        func member(_ field: String, of row: MapContents.Row) -> MetricValue {
            guard case let .record(members) = row.value else { return .unsigned(0) }
            return metric(members.first { $0.name == field }?.value ?? .unsigned(0))
        }
        let anyNegative = rows.contains { member("sum", of: $0).double < 0 }
        for row in rows {
            let rowLabels = labels.labels(for: row.key, type: keyType)
            summary.samples.append(.init(suffix: "_count", labels: rowLabels, value: member("count", of: row)))
            if anyNegative {
                signedSums.samples.append(.init(labels: rowLabels, value: member("sum", of: row)))
            } else {
                summary.samples.append(.init(suffix: "_sum", labels: rowLabels, value: member("sum", of: row)))
            }
            minimum.samples.append(.init(labels: rowLabels, value: member("min", of: row)))
            maximum.samples.append(.init(labels: rowLabels, value: member("max", of: row)))
        }
        let families = [merged(summary, by: .sum), merged(minimum, by: .minimum), merged(maximum, by: .maximum)]
        return anyNegative ? families + [merged(signedSums, by: .sum)] : families
    }

    private func gaugeFamilies(_ name: String, help: String, keyType: ValueType, rows: [MapContents.Row],
                               isArray: Bool) -> [MetricFamily] {
        let labels = labeler(reserving: [])
        guard let first = rows.first else { return [MetricFamily(name: name, kind: .gauge, help: help)] }
        if first.value.isNumeric {
            var family = MetricFamily(name: name, kind: .gauge, help: help)
            family.samples = rows.compactMap { row in
                row.value.isNumeric ? .init(labels: labels.labels(for: row.key, type: keyType, isArrayIndex: isArray),
                                            value: metric(row.value)) : nil
            }
            return [merged(family, by: .sum)]
        }
        // A struct value: one gauge per numeric field.
        guard case let .record(members) = first.value else { return [] }
        return members.filter(\.value.isNumeric).map { field in
            var family = MetricFamily(name: name + "_" + MetricLabels.sanitized(field.name), kind: .gauge,
                                      help: "\(help), field \(field.name)")
            family.samples = rows.compactMap { row in
                guard case let .record(values) = row.value, let value = values.first(where: { $0.name == field.name })?.value,
                      value.isNumeric else { return nil }
                return .init(labels: labels.labels(for: row.key, type: keyType, isArrayIndex: isArray), value: metric(value))
            }
            return merged(family, by: .sum)
        }
    }

    // MARK: Shared

    private func labeler(reserving names: Set<String>) -> MetricLabels {
        MetricLabels(includeStacks: includeStacks, reserved: names.union(hostLabel == nil ? [] : ["host"]))
    }

    private func metric(_ value: Value) -> MetricValue {
        switch value {
        case let .unsigned(number): return .unsigned(number)
        case let .signed(number): return .signed(number)
        case let .bool(flag): return .unsigned(flag ? 1 : 0)
        case let .enumCase(_, number): return .signed(number)
        case let .pointer(number): return .unsigned(number)
        default: return .real(value.numeric ?? .nan)
        }
    }

    enum Merge { case sum, minimum, maximum }

    /// Series whose labels are equal once stacks are left out become one.
    private func merged(_ family: MetricFamily, by rule: Merge) -> MetricFamily {
        var result = family
        result.samples = []
        var index: [SampleKey: Int] = [:]
        for sample in family.samples {
            let key = SampleKey(suffix: sample.suffix, labels: sample.labels)
            guard let at = index[key] else {
                index[key] = result.samples.count
                result.samples.append(sample)
                continue
            }
            result.samples[at].value = Self.combine(result.samples[at].value, sample.value, rule)
        }
        return result
    }

    private struct SampleKey: Hashable {
        var suffix: String
        var labels: [MetricFamily.Label]
    }

    private static func combine(_ a: MetricValue, _ b: MetricValue, _ rule: Merge) -> MetricValue {
        switch (a, b, rule) {
        case let (.unsigned(x), .unsigned(y), .sum): return .unsigned(x &+ y)
        case let (.signed(x), .signed(y), .sum): return .signed(x &+ y)
        case let (.signed(x), .signed(y), .minimum): return .signed(Swift.min(x, y))
        case let (.signed(x), .signed(y), .maximum): return .signed(Swift.max(x, y))
        case let (.unsigned(x), .unsigned(y), .minimum): return .unsigned(Swift.min(x, y))
        case let (.unsigned(x), .unsigned(y), .maximum): return .unsigned(Swift.max(x, y))
        default:
            let (x, y) = (a.double, b.double)
            switch rule {
            case .sum: return .real(x + y)
            case .minimum: return .real(Swift.min(x, y))
            case .maximum: return .real(Swift.max(x, y))
            }
        }
    }
}

extension MetricValue {
    var double: Double {
        switch self {
        case let .unsigned(value): return Double(value)
        case let .signed(value): return Double(value)
        case let .real(value): return value
        }
    }
}
