/// "Did you mean …?" candidates by edit distance, the way compilers suggest names.
public enum Suggestions {
    /// The closest candidates to `word`, best first; empty when nothing is close.
    public static func closest(to word: String, in candidates: some Sequence<String>, limit: Int = 3) -> [String] {
        let threshold = max(2, word.count / 3)
        var scored: [(String, Int)] = []
        for candidate in candidates {
            let distance = editDistance(word, candidate)
            if distance <= threshold || (candidate.hasPrefix(word) && word.count >= 3)
                || (word.hasPrefix(candidate) && candidate.count >= 3) {
                scored.append((candidate, distance))
            }
        }
        return scored.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    public static func hint(for word: String, in candidates: some Sequence<String>) -> String? {
        let best = closest(to: word, in: candidates)
        guard !best.isEmpty else { return nil }
        return "did you mean " + best.map { "'\($0)'" }.joined(separator: " or ") + "?"
    }

    /// Levenshtein distance over bytes (names here are ASCII identifiers).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
