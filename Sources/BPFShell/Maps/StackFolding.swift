/// A stack-keyed map as folded stacks, the input of flame graphs: each key's process
/// names (comm, pid) at the root, then its user stack from `main` inward, then its
/// kernel stack from the syscall entry inward; offsets dropped, equal stacks merged.
enum StackFolding {
    struct Folded {
        var stacks: [FoldedStack]
        /// The keys hold kernel and user frames both: folded text marks kernel ones `_[k]`.
        var mixesKernelAndUser: Bool
    }

    /// Why a table cannot fold, said about the map (nil when it can).
    static func refusal(of table: MapContents.Table) -> String? {
        if !holdsStack(table.keyType) { return "its key holds no stack (kstack_t or ustack_t)" }
        if let first = table.rows.first, first.value.numeric == nil { return "its value is not a number (count, sum or a u64)" }
        return nil
    }

    /// Whether a key type is or contains kstack_t or ustack_t (known before any row exists).
    static func holdsStack(_ type: ValueType) -> Bool {
        switch type {
        case let .named(name, inner): return name == "kstack_t" || name == "ustack_t" || holdsStack(inner)
        case let .record(record): return record.fields.contains { holdsStack($0.type) }
        case let .array(element, _): return holdsStack(element)
        default: return false
        }
    }

    static func fold(_ table: MapContents.Table) -> Folded {
        var counts: [[FlameFrame]: UInt64] = [:]
        var order: [[FlameFrame]] = []
        var sawKernel = false, sawUser = false
        for row in table.rows {
            guard let number = row.value.numeric, number > 0 else { continue }
            var roots: [FlameFrame] = []
            var user: [FlameFrame] = []
            var kernel: [FlameFrame] = []
            collect(row.key, roots: &roots, user: &user, kernel: &kernel)
            sawKernel = sawKernel || !kernel.isEmpty
            sawUser = sawUser || !user.isEmpty
            let frames = roots + user + kernel
            if counts[frames] == nil { order.append(frames) }
            counts[frames, default: 0] += UInt64(number)
        }
        return Folded(stacks: order.map { FoldedStack(frames: $0, count: counts[$0] ?? 0) },
                      mixesKernelAndUser: sawKernel && sawUser)
    }

    private static func collect(_ value: Value, roots: inout [FlameFrame], user: inout [FlameFrame], kernel: inout [FlameFrame]) {
        switch value {
        case let .stack(stack):
            // Frames come innermost first; folded stacks are root first.
            // "[no kernel stack: …]" (a sample in user space) adds no frame; other notes stay whole.
            let frames = stack.frames.reversed().filter { !$0.hasPrefix("[no ") }.map {
                FlameFrame($0.hasPrefix("[") ? $0 : functionName(ofFrame: $0, isUser: stack.isUser),
                           kind: stack.isUser ? .user : .kernel)
            }
            if stack.isUser { user += frames } else { kernel += frames }
        case let .record(members):
            for member in members { collect(member.value, roots: &roots, user: &user, kernel: &kernel) }
        case let .symbol(_, name):
            roots.append(FlameFrame(name.map { functionName(ofFrame: $0, isUser: true) } ?? value.description, kind: .other))
        default:
            roots.append(FlameFrame(value.description, kind: .process))
        }
    }

    /// "vfs_read+0x1c [ext4]" → "vfs_read [ext4]", "getppid+0x7 (libc.so.6)" → "getppid",
    /// "0x2724a (libc.so.6)" → "[libc.so.6]": a function is one frame wherever it was hit.
    static func functionName(ofFrame frame: String, isUser: Bool) -> String {
        if frame.hasPrefix("0x") {
            // An address no symbol covers: "[file]" when its file is known, else "[unknown]" as perf folds it.
            guard let open = frame.firstIndex(of: "("), frame.hasSuffix(")"), !frame.contains("mappings unknown") else {
                return "[unknown]"
            }
            return "[" + frame[frame.index(after: open)..<frame.index(before: frame.endIndex)] + "]"
        }
        var name = Substring(frame)
        var annotation = ""
        // The file or module is the last parenthesised or bracketed word (demangled names hold spaces too).
        if frame.hasSuffix(")") || frame.hasSuffix("]"), let space = name.range(of: frame.hasSuffix(")") ? " (" : " [",
                                                                                options: .backwards) {
            annotation = String(name[space.lowerBound...])
            name = name[..<space.lowerBound]
        }
        if let plus = name.range(of: "+0x", options: .backwards) { name = name[..<plus.lowerBound] }
        // User frames name their file for people reading a table; a flame graph merges by function.
        if isUser, annotation.hasPrefix(" (") { annotation = "" }
        return String(name) + annotation
    }
}
