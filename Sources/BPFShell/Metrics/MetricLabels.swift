/// A map key as metric labels: a struct key gives one label per field, a typedef'd key
/// its type's name (`comm_t` → `comm`), any other scalar `key`; an array's slot `index`.
/// Stacks become a folded label (root first, `;` between frames) only when asked:
/// otherwise they are left out, and the series that then share labels are merged.
struct MetricLabels {
    let includeStacks: Bool
    /// Names the family's own samples use (`le`, `quantile`) or the user's `host`.
    let reserved: Set<String>

    func labels(for key: Value, type: ValueType, isArrayIndex: Bool = false) -> [MetricFamily.Label] {
        var labels: [MetricFamily.Label] = []
        if case let .record(members) = key {
            for member in members { append(member.value, named: member.name, to: &labels) }
        } else {
            append(key, named: isArrayIndex ? "index" : Self.scalarName(type), to: &labels)
        }
        return labels
    }

    private func append(_ value: Value, named name: String, to labels: inout [MetricFamily.Label]) {
        switch value {
        case let .record(members):
            // comm_t and str_t decode to strings; other nested structs flatten to outer_inner.
            for member in members { append(member.value, named: name + "_" + member.name, to: &labels) }
        case let .stack(stack):
            guard includeStacks else { return }
            add(Self.folded(stack), named: name, to: &labels)
        default:
            add(value.description, named: name, to: &labels)
        }
    }

    private func add(_ text: String, named name: String, to labels: inout [MetricFamily.Label]) {
        var label = Self.sanitized(name)
        if reserved.contains(label) { label = "key_" + label }
        let base = label
        var suffix = 2
        while labels.contains(where: { $0.name == label }) {
            label = "\(base)_\(suffix)"
            suffix += 1
        }
        labels.append(MetricFamily.Label(label, text))
    }

    /// `comm_t` → `comm`, `pid_t` → `pid`; integers by size alone (`u32`, `__u64`) say
    /// nothing of what they count, so they are a `key`.
    static func scalarName(_ type: ValueType) -> String {
        guard case let .named(name, _) = type else { return "key" }
        let bare = name.drop { $0 == "_" }
        if let first = bare.first, "us".contains(first), let bits = Int(bare.dropFirst()), [8, 16, 32, 64].contains(bits) {
            return "key"
        }
        return name.hasSuffix("_t") && name.count > 2 ? String(name.dropLast(2)) : name
    }

    /// Label names are [a-zA-Z_][a-zA-Z0-9_]* and must not start with `__` (reserved).
    static func sanitized(_ name: String) -> String {
        var result = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
        while result.hasPrefix("_") { result.removeFirst() }
        if result.isEmpty { return "key" }
        if let first = result.first, first.isNumber { result = "key_" + result }
        return result
    }

    /// A stack as flame graph tools fold it: root first, frames joined by `;`, offsets
    /// dropped (one series per call path, not per return address).
    static func folded(_ stack: StackTrace) -> String {
        guard !stack.frames.isEmpty else { return "[unknown]" }
        return stack.frames.reversed().map { $0.hasPrefix("[") ? $0 : StackFolding.functionName(ofFrame: $0, isUser: stack.isUser) }
            .joined(separator: ";")
    }
}
