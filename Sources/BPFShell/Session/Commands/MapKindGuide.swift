/// What `help maps` says: every map kind a session can declare, with how probes fill it
/// and how it prints.
enum MapKindGuide {
    static let kinds: [(declaration: String, what: String)] = [
        ("count<K>", "a per-CPU counter per key: count(m, k) adds 1, sum(m, k, v) adds v; printed largest first"),
        ("count", "one counter without a key: count(m), sum(m, v); printed as m: N"),
        ("hash<K, V>", "any value per key: set(m, k, v), get(m, k) (a pointer, or NULL), del(m, k)"),
        ("hist", "a log2 histogram: hist(m, v); print m us scales nanoseconds"),
        ("hist<K>", "a log2 histogram per key: hist_by(m, k, v)"),
        ("lhist(MIN, MAX, STEP)", "a linear histogram: lhist(m, v)"),
        ("array<V>", "a fixed array indexed 0…size-1: set(m, i, v), get(m, i)"),
        ("stats<K>", "count, sum, min, max and average per key: stats(m, k, v)"),
        ("min<K> / max<K>", "the smallest or largest value per key: min(m, k, v), max(m, k, v)"),
    ]

    static var text: String {
        let width = kinds.map(\.declaration.count).max() ?? 10
        return "map NAME KIND [size N]   (10240 entries unless size says; maps belong to the session: they outlive probes)\n"
            + kinds.map { "  " + $0.declaration.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.what }.joined(separator: "\n")
            + "\nkeys and values: integers (u32, u64, …), comm_t, str_t, kstack_t, ustack_t, ksym_t, usym_t, probe_t, or a struct from a c { } block"
            + "\nprint MAP folded / flame MAP FILE.svg: a map keyed by stacks as folded stacks or a flame graph"
    }
}
