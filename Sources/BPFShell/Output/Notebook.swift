import Foundation

/// A session as a Markdown notebook: each cell's command in a fenced block followed by
/// what it printed (tables, histograms, streamed lines, errors).
public enum Notebook {
    /// `directory`: where the notebook is written, so files next to it are linked relatively.
    public static func markdown(_ history: [Session.HistoryEntry], title: String, directory: String? = nil) -> String {
        var text = "# \(title)\n\n"
        for entry in history {
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
