/// A session as a Markdown notebook: each cell's command in a fenced block followed by
/// what it printed (tables, histograms, streamed lines, errors).
public enum Notebook {
    public static func markdown(_ history: [Session.HistoryEntry], title: String) -> String {
        var text = "# \(title)\n\n"
        for entry in history {
            let commandFence = fence(for: entry.text)
            text += "\(commandFence)bpfsh\n[\(entry.number)]> \(entry.text)\n\(commandFence)\n\n"
            let output = entry.output.hasSuffix("\n") ? String(entry.output.dropLast()) : entry.output
            if !output.isEmpty {
                let outputFence = fence(for: output)
                text += "\(outputFence)text\n\(output)\n\(outputFence)\n\n"
            }
            if !entry.succeeded { text += "*(failed)*\n\n" }
        }
        return text
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
