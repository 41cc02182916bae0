import Foundation

/// What completion can ask the session and the system about.
protocol CompletionSource {
    var commandNames: [String] { get }
    var mapNames: [String] { get }
    var probeNames: [String] { get }
    var snippetNames: [String] { get }
    func tracepointCategories() -> [String]
    func tracepointEvents(in category: String) -> [String]
    /// Raw and BTF-typed tracepoint names.
    func btfTracepoints() -> [String]
    /// Kernel functions that kprobes and fentry can attach to.
    func kernelFunctions() -> [String]
    func functionSymbols(inBinary path: String) -> [String]
    func usdtProbes(inBinary path: String) -> [String]
    /// A tracepoint's `args->` fields (common_* left out).
    func tracepointFields(category: String, event: String) -> [String]
    /// The BPF helpers (bpf_…) libbpf declares.
    var helperNames: [String] { get }
}

/// Decides what the word under the cursor can become, from the words before it.
struct Completer {
    struct Completion: Equatable {
        /// How many characters before the cursor the candidates replace.
        var replacing: Int
        var candidates: [String]

        /// The longest prefix shared by every candidate.
        var commonPrefix: String {
            guard var prefix = candidates.first else { return "" }
            for candidate in candidates.dropFirst() {
                while !candidate.hasPrefix(prefix) { prefix.removeLast() }
            }
            return prefix
        }
    }

    let source: CompletionSource

    func complete(_ line: String) -> Completion {
        // Inside a block the user is writing C: offer the built-ins and the session's maps.
        if line.contains("{") { return completeInBody(line) }
        let endsWithSpace = line.last.map { $0 == " " || $0 == "\t" } ?? true
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let current = endsWithSpace ? "" : (words.last ?? "")
        let before = endsWithSpace ? words : Array(words.dropLast())
        let candidates = self.candidates(current: current, before: before)
        return Completion(replacing: current.count, candidates: candidates.filter { $0.hasPrefix(current) }.sorted())
    }

    /// The identifier being typed in a probe body: a built-in (with its '('), or a map
    /// name where a map operation takes one.
    private func completeInBody(_ line: String) -> Completion {
        let identifierCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
        let current = String(line.reversed().prefix { identifierCharacters.contains($0) }.reversed())
        let before = line.dropLast(current.count)
        let callee = String(before.dropLast().reversed().prefix { identifierCharacters.contains($0) }.reversed())
        let candidates: [String]
        if before.hasSuffix("args->") {
            // The fields of the probe's tracepoint, when the spec is on this line.
            candidates = tracepointOfLine(line).map { source.tracepointFields(category: $0.category, event: $0.event) } ?? []
        } else if before.last == "(", Builtin.mapOperationNames.contains(callee) {
            candidates = source.mapNames
        } else if current.hasPrefix("bpf_") {
            candidates = source.helperNames.map { $0 + "(" }
        } else if !current.isEmpty, current.first.map({ !$0.isNumber }) ?? false {
            candidates = Builtin.names.map { $0 + "(" } + source.mapNames
        } else {
            candidates = []
        }
        return Completion(replacing: current.count, candidates: candidates.filter { $0.hasPrefix(current) }.sorted())
    }

    /// "probe [NAME] tracepoint:CAT:EVENT { …": the tracepoint a one-line probe is written for.
    private func tracepointOfLine(_ line: String) -> (category: String, event: String)? {
        guard let brace = line.firstIndex(of: "{") else { return nil }
        for word in line[..<brace].split(separator: " ") {
            let parts = word.split(separator: ":").map(String.init)
            if parts.count == 3, ProbeKind.named(parts[0]) == .tracepoint { return (parts[1], parts[2]) }
        }
        return nil
    }

    private func candidates(current: String, before: [String]) -> [String] {
        guard let command = before.first else { return source.commandNames.map { $0 + " " } }
        switch command {
        case "probe":
            // probe [NAME] SPEC: a spec is anything with ':' or the first word after probe.
            if before.count == 1 || current.contains(":") || (before.count == 2 && !before[1].contains(":")) {
                return specCandidates(current)
            }
            return []
        case "info", "list":
            return before.count == 1 ? specCandidates(current) : []
        case "print":
            if before.count == 1 { return source.mapNames.map { $0 + " " } }
            return ["top ", "sort ", "ns", "us", "ms", "s", "folded"] + (before.last == "sort" ? ["key", "value"] : [])
        case "flame":
            if before.count == 1 { return source.mapNames.map { $0 + " " } }
            if before.last == "--colors" { return FlameGraphOptions.Palette.allCases.map(\.rawValue) }
            if before.last == "--diff" { return source.mapNames }
            return before.count >= 3 ? FlameCommand.optionNames.map { $0 + " " } : []
        case "clear":
            return before.count == 1 ? (source.mapNames + ["all"]).map { $0 + " " } : []
        case "show":
            if before.count == 1 { return (source.probeNames + source.mapNames + ["log"]).map { $0 + " " } }
            return before.count == 2 ? ["c", "log"] : []
        case "detach", "attach", "drop":
            return before.count == 1 ? source.probeNames : []
        case "set":
            if before.count == 1 { return SetCommand.settings.map { $0 + " " } }
            guard before.count == 2 else { return [] }
            switch before[1] {
            case "output": return ["text", "json"]
            case "timestamps": return EventClock.Style.allCases.map(\.rawValue)
            case "stack-frames": return StackFrameSetting.allCases.map(\.rawValue)
            default: return []
            }
        case "help":
            return before.count == 1 ? source.commandNames + Builtin.names + ["builtins"] : []
        case "load":
            return pathCandidates(current) + (current.contains("/") ? [] : source.snippetNames)
        case "save", "export":
            return current.hasPrefix("-") ? ["-f ", "--all "] : pathCandidates(current)
        default:
            return []
        }
    }

    /// KIND: then the kind's own parts.
    private func specCandidates(_ current: String) -> [String] {
        let parts = current.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, let kind = ProbeKind.named(parts[0]) else {
            return ProbeKind.allCases.map { $0.rawValue + ":" }
        }
        let head = parts[0] + ":"
        switch kind {
        case .tracepoint:
            if parts.count == 2 { return source.tracepointCategories().map { head + $0 + ":" } }
            return source.tracepointEvents(in: parts[1]).map { head + parts[1] + ":" + $0 + " " }
        case .rawTracepoint, .tpBTF:
            return source.btfTracepoints().map { head + $0 + " " }
        case .kprobe, .kretprobe, .fentry, .fexit:
            // Thousands of functions: only offer them once a few letters narrow the list.
            guard parts[1].count >= 2 else { return [] }
            return source.kernelFunctions().filter { $0.hasPrefix(parts[1]) }.map { head + $0 + " " }
        case .uprobe, .uretprobe, .usdt:
            if parts.count == 2 {
                return pathCandidates(parts[1]).map { head + $0 }
            }
            let binary = parts[1]
            let names = kind == .usdt ? source.usdtProbes(inBinary: binary) : source.functionSymbols(inBinary: binary)
            return names.map { head + binary + ":" + $0 + " " }
        case .profile:
            return [head + "hz:99 ", head + "hz:49 "]
        case .software:
            return ["cpu-clock", "task-clock", "page-faults", "context-switches", "cpu-migrations", "minor-faults",
                    "major-faults"].map { head + $0 + ":" }
        case .hardware:
            return ["cycles", "instructions", "cache-misses", "cache-references", "branch-misses",
                    "branch-instructions"].map { head + $0 + ":" }
        case .interval:
            return [head + "1s ", head + "100ms "]
        }
    }

    /// Files and directories matching a partial path (directories end with '/').
    private func pathCandidates(_ partial: String) -> [String] {
        let expanded = (partial as NSString).expandingTildeInPath
        let directory: String, prefix: String
        if partial.hasSuffix("/") {
            (directory, prefix) = (expanded, "")
        } else {
            directory = (expanded as NSString).deletingLastPathComponent
            prefix = (expanded as NSString).lastPathComponent
        }
        let listed = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        let typedDirectory = partial.hasSuffix("/") ? partial
            : String(partial.dropLast((partial as NSString).lastPathComponent.count))
        return listed.filter { $0.hasPrefix(prefix) && (!$0.hasPrefix(".") || prefix.hasPrefix(".")) }.map { name in
            var isDirectory: ObjCBool = false
            let full = (directory.isEmpty ? name : directory + "/" + name)
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory)
            return typedDirectory + name + (isDirectory.boolValue ? "/" : "")
        }
    }
}
