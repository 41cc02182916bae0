import Foundation

/// A session as a notebook: Markdown (each cell's command in a fenced block followed by
/// what it printed) or Jupyter's .ipynb (nbformat 4). Both open with where and when the
/// session ran; cells that only looked things up (help, history, tutorial) are left out
/// unless asked for.
public enum Notebook {
    /// bpfsh's version, as `--version` prints it.
    public static let bpfshVersion = "0.2.0"

    /// Commands that read documentation, not the kernel: not worth a cell in a hand-out.
    static let lookupCommands: Set<String> = ["help", "history", "tutorial"]

    static func shownEntries(_ history: [Session.HistoryEntry], includeAll: Bool) -> [Session.HistoryEntry] {
        includeAll ? history : history.filter { entry in
            guard !entry.isProse else { return true }
            let name = entry.text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.map(String.init) ?? ""
            return !lookupCommands.contains(name)
        }
    }

    /// "recorded 2026-12-01 09:20 UTC on host (Linux 6.18.0), bpfsh 0.2.0"
    static func provenance(date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = TimeZone(identifier: "UTC")
        var system = utsname()
        uname(&system)
        let release = withUnsafeBytes(of: &system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: &system.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let host = ProcessInfo.processInfo.hostName
        return "recorded \(formatter.string(from: date)) UTC on \(host) (Linux \(release), \(machine)), bpfsh \(bpfshVersion)"
    }

    /// `directory`: where the notebook is written, so files next to it are linked relatively.
    public static func markdown(_ history: [Session.HistoryEntry], title: String, directory: String? = nil,
                                includeAll: Bool = false) -> String {
        var text = "# \(title)\n\n*\(provenance())*\n\n"
        for entry in shownEntries(history, includeAll: includeAll) {
            if entry.isProse {
                text += entry.text + "\n\n"
                continue
            }
            let commandFence = fence(for: entry.text)
            text += "\(commandFence)bpfsh\n[\(entry.number)]> \(entry.text)\n\(commandFence)\n\n"
            let output = entry.output.hasSuffix("\n") ? String(entry.output.dropLast()) : entry.output
            if !output.isEmpty {
                let outputFence = fence(for: output)
                text += "\(outputFence)text\n\(output)\n\(outputFence)\n\n"
            }
            for file in entry.files where file.kind == .svg {
                // Linked, not inlined: Markdown viewers show an SVG image, and its script
                // (search, zoom) runs when the file is opened on its own.
                text += "![\((file.path as NSString).lastPathComponent)](\(link(to: file.path, from: directory)))\n\n"
            }
            if !entry.succeeded { text += "*(failed)*\n\n" }
        }
        return text
    }

    /// The session as a Jupyter notebook (nbformat 4.5): a Markdown cell with the title
    /// and where it ran, then one code cell per command with its output as a stream
    /// (stderr for a failed one) and a flame graph inline as image/svg+xml.
    public static func ipynb(_ history: [Session.HistoryEntry], title: String, includeAll: Bool = false) -> String {
        var cells: [JSONValue] = [cell(type: "markdown", id: "header", source: "# \(title)\n\n*\(provenance())*")]
        for (index, entry) in shownEntries(history, includeAll: includeAll).enumerated() {
            if entry.isProse {
                cells.append(cell(type: "markdown", id: "prose-\(index)", source: entry.text))
                continue
            }
            var outputs: [JSONValue] = []
            if !entry.output.isEmpty {
                outputs.append(.object([("output_type", .string("stream")), ("name", .string(entry.succeeded ? "stdout" : "stderr")),
                                        ("text", lines(entry.output))]))
            }
            for file in entry.files where file.kind == .svg {
                guard let svg = try? String(contentsOfFile: file.path, encoding: .utf8) else { continue }
                outputs.append(.object([("output_type", .string("display_data")),
                                        ("data", .object([("image/svg+xml", lines(svg)),
                                                          ("text/plain", .array([.string((file.path as NSString).lastPathComponent)]))])),
                                        ("metadata", .object([]))]))
            }
            var code = cell(type: "code", id: "cell-\(entry.number)", source: entry.text)
            if case var .object(members) = code {
                members.append(("execution_count", .integer(String(entry.number))))
                members.append(("outputs", .array(outputs)))
                code = .object(members)
            }
            cells.append(code)
        }
        let notebook = JSONValue.object([
            ("cells", .array(cells)),
            ("metadata", .object([("kernelspec", .object([("name", .string("bpfsh")), ("display_name", .string("bpfsh")),
                                                           ("language", .string("bpfsh"))])),
                                  ("language_info", .object([("name", .string("bpfsh")), ("file_extension", .string(".bpfsh")),
                                                             ("mimetype", .string("text/x-bpfsh"))]))])),
            ("nbformat", .integer("4")), ("nbformat_minor", .integer("5")),
        ])
        return notebook.encoded + "\n"
    }

    private static func cell(type: String, id: String, source: String) -> JSONValue {
        .object([("cell_type", .string(type)), ("id", .string(id)), ("metadata", .object([])), ("source", lines(source))])
    }

    /// nbformat's multi-line strings: a list of lines, each but the last ending in "\n".
    private static func lines(_ text: String) -> JSONValue {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) + "\n" }
        if let last = parts.last { parts[parts.count - 1] = String(last.dropLast()) }
        if parts.last == "" { parts.removeLast() }
        return .array(parts.map(JSONValue.string))
    }

    /// The path relative to the notebook's folder when the file is inside it.
    static func link(to path: String, from directory: String?) -> String {
        guard let directory, !directory.isEmpty else { return path }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        return relative.replacingOccurrences(of: " ", with: "%20")
    }

    /// A fence longer than any run of backticks inside, so output cannot close it early.
    static func fence(for content: String) -> String {
        var longest = 0, current = 0
        for character in content {
            current = character == "`" ? current + 1 : 0
            longest = max(longest, current)
        }
        return String(repeating: "`", count: max(3, longest + 1))
    }
}
