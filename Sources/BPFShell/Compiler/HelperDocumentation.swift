import Foundation

/// A BPF helper: its name, its number in the kernel's bpf_func_id, and the first
/// sentence of its documentation.
public struct BPFHelper: Equatable, Sendable {
    public var name: String
    public var id: UInt32
    public var summary: String
}

/// The helpers libbpf declares, read from its bpf_helper_defs.h: each is a comment
/// (name, blank, description) followed by `static … (*NAME)(…) = (void *) ID;`.
enum HelperDocumentation {
    /// Every helper's name (read once, for completion).
    static let names: [String] = load().helpers.map(\.name)

    static let headerPaths = ["/usr/include/bpf/bpf_helper_defs.h", "/usr/local/include/bpf/bpf_helper_defs.h"]

    static func load() -> (helpers: [BPFHelper], byName: [String: String]) {
        guard let text = headerPaths.lazy.compactMap({ try? String(contentsOfFile: $0, encoding: .utf8) }).first else {
            return ([], [:])
        }
        let helpers = parse(text)
        return (helpers, Dictionary(helpers.map { ($0.name, $0.summary) }, uniquingKeysWith: { first, _ in first }))
    }

    static func parse(_ text: String) -> [BPFHelper] {
        var helpers: [BPFHelper] = []
        var comment: [String] = []
        var inComment = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("/*") { inComment = true; comment = []; continue }
            if inComment {
                if line.hasPrefix("*/") { inComment = false; continue }
                comment.append(line.hasPrefix("*") ? String(line.dropFirst()).trimmingCharacters(in: .whitespaces) : line)
                continue
            }
            guard line.hasPrefix("static "), let open = line.range(of: "(*"), let close = line.range(of: ")", range: open.upperBound..<line.endIndex),
                  let idStart = line.range(of: "(void *) ", options: .backwards) else { continue }
            let name = String(line[open.upperBound..<close.lowerBound])
            let idText = line[idStart.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "; "))
            guard let id = UInt32(idText) else { continue }
            helpers.append(BPFHelper(name: name, id: id, summary: summary(of: comment, name: name)))
        }
        return helpers
    }

    /// The description's first sentence, without the man-page markup (*x*, **y**).
    private static func summary(of comment: [String], name: String) -> String {
        var paragraph: [String] = []
        for line in comment.drop(while: { $0.isEmpty || $0 == name }) {
            if line.isEmpty || line == "Returns" { break }
            paragraph.append(line)
        }
        let text = paragraph.joined(separator: " ").replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "*", with: "")
        if let end = text.range(of: ". ") { return String(text[..<end.lowerBound]) + "." }
        return text
    }
}
