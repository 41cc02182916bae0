import Foundation

/// `every DURATION [COUNT] { commands }`: repeat commands with a timestamp header.
struct EveryCommand: ShellCommand {
    static let name = "every"
    static let needsKernel = true
    static let summary = "repeat commands every DURATION (COUNT times, or until Ctrl-C), with a timestamp each time"
    static let usage = "every DURATION [COUNT] { commands; … }"
    static let example = "every 1s 5 { print lat; clear lat }"

    let seconds: Double
    let count: Int?
    let commands: [CommandSyntax]

    init(_ syntax: CommandSyntax) throws {
        guard let block = syntax.block, (1...2).contains(syntax.arguments.count) else {
            throw Diagnostic.error("every needs a duration and a { } block of commands", at: syntax.range,
                                   hint: "usage: \(Self.usage), e.g. \(Self.example)")
        }
        let duration = syntax.arguments[0]
        guard let seconds = DurationParser.seconds(duration.text), seconds >= 0.01 else {
            throw Diagnostic.error("'\(duration.text)' is not a duration of at least 10ms", at: duration.range,
                                   hint: DurationParser.hint(for: duration.text))
        }
        self.seconds = seconds
        if syntax.arguments.count == 2 {
            guard let count = Int(syntax.arguments[1].text), count > 0 else {
                throw Diagnostic.error("'\(syntax.arguments[1].text)' is not a positive count", at: syntax.arguments[1].range)
            }
            self.count = count
        } else {
            count = nil
        }
        switch CommandParser.parse(block.text) {
        case let .complete(commands) where !commands.isEmpty:
            for command in commands where CommandRegistry.command(named: command.name.text) == nil
                || ["every", "quit", "exit", "load", "save", "export"].contains(command.name.text) {
                throw Diagnostic.error("'\(command.name.text)' cannot be repeated by every", at: block.range,
                                       hint: "every repeats commands such as print, clear, probes and maps")
            }
            self.commands = commands
        default:
            throw Diagnostic.error("every's block must hold commands separated by ';' or newlines", at: block.range,
                                   hint: Self.example)
        }
    }

    func execute(in session: Session, cell: Int) throws {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        _ = Signals.takeInterrupt()
        session.isRepeating = true
        session.presenter.histogramWidths.hold()
        defer {
            session.isRepeating = false
            session.presenter.histogramWidths.release()
        }
        var iteration = 0
        while count.map({ iteration < $0 }) ?? true {
            if session.pump(seconds: seconds) { break }
            iteration += 1
            let time = formatter.string(from: Date())
            session.show(.interval(time: time))
            for command in commands {
                try session.perform(command, cell: cell)
            }
            session.flush()
        }
    }
}

/// `set output json|text`, `set ringbuf SIZE`, `set strlen N`, `set timestamps …`, `set stack-frames …`.
struct SetCommand: ShellCommand {
    static let name = "set"
    static let summary = "change a setting: output text|json, ringbuf SIZE (before the first probe), strlen N (str() for later probes), timestamps off|wall|elapsed (on print() lines), stack-frames traced|all (all keeps the kernel's dispatch into the probe), map-memory-limit SIZE (the most kernel memory one map may take, 1G unless set), stack-slots N (the stack map's slots, 16384 unless set, before the first probe that takes a stack: stacks that hash to a taken slot are lost, a quarter of 10,000 distinct ones at the default)"
    static let usage = "set output text|json | set ringbuf SIZE | set strlen N | set timestamps off|wall|elapsed | set stack-frames traced|all | set map-memory-limit SIZE | set stack-slots N"
    static let settings = ["output", "ringbuf", "strlen", "timestamps", "stack-frames", "map-memory-limit", "stack-slots"]
    static let example = "set output json"

    let setting: Token
    let value: Token

    init(_ syntax: CommandSyntax) throws {
        try syntax.expectArguments(2...2, usage: Self.usage)
        setting = syntax.arguments[0]
        value = syntax.arguments[1]
        switch setting.text {
        case "output":
            guard Session.OutputFormat(rawValue: value.text) != nil else {
                throw Diagnostic.error("output can be 'text' or 'json'", at: value.range)
            }
        case "ringbuf":
            guard let bytes = Self.bytes(value.text), bytes >= 4096, bytes <= 1 << 30 else {
                throw Diagnostic.error("'\(value.text)' is not a ring buffer size between 4K and 1G", at: value.range,
                                       hint: "for example: set ringbuf 16M")
            }
        case "timestamps":
            guard EventClock.Style(rawValue: value.text) != nil else {
                throw Diagnostic.error("timestamps can be off, wall (time of day) or elapsed (seconds since the session began)",
                                       at: value.range)
            }
        case "map-memory-limit":
            guard let bytes = MemorySize.parse(value.text), bytes >= 1 << 20 else {
                throw Diagnostic.error("'\(value.text)' is not a memory size of at least 1M", at: value.range,
                                       hint: "for example: set map-memory-limit 4G (sizes: K, M, G, T)")
            }
        case "stack-slots":
            guard let slots = MapDecl.parseCount(value.text), StackSlots.range.contains(slots) else {
                throw Diagnostic.error("'\(value.text)' is not a number of stack slots from \(StackSlots.range.lowerBound) to \(StackSlots.range.upperBound)",
                                       at: value.range, hint: "for example: set stack-slots 64k (each slot takes about 1 KB of kernel memory)")
            }
        case "stack-frames":
            guard StackFrameSetting(rawValue: value.text) != nil else {
                throw Diagnostic.error("stack-frames can be 'traced' (kernel stacks start at the traced code) or 'all' (they keep the BPF program and the dispatch that ran it)",
                                       at: value.range)
            }
        case "strlen":
            guard let length = Int(value.text), (1...CUnitBuilder.maximumStringLength).contains(length) else {
                throw Diagnostic.error("'\(value.text)' is not a string length from 1 to \(CUnitBuilder.maximumStringLength)",
                                       at: value.range, hint: "for example: set strlen 128")
            }
        default:
            throw Diagnostic(.error, "unknown setting '\(setting.text)'", at: setting.range,
                             hints: [Suggestions.hint(for: setting.text, in: Self.settings)
                                        ?? "settings: " + Self.settings.joined(separator: ", ")])
        }
    }

    /// "16M", "512K", "1G", or bytes; rounded up to a power of two as the kernel requires.
    static func bytes(_ text: String) -> Int? {
        let upper = text.uppercased()
        let scales: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var number = upper
        var scale = 1
        if let last = upper.last, let found = scales[last] {
            scale = found
            number = String(upper.dropLast())
        }
        guard let value = Int(number), value > 0 else { return nil }
        let (requested, overflow) = value.multipliedReportingOverflow(by: scale)
        // Below one page is a typo ("set ringbuf 1"), not a request to round up.
        guard !overflow, requested >= 4096, requested <= 1 << 30 else { return nil }
        var size = 4096
        while size < requested { size <<= 1 }
        return size
    }

    func execute(in session: Session, cell: Int) throws {
        switch setting.text {
        case "output":
            session.outputFormat = Session.OutputFormat(rawValue: value.text) ?? .text
            session.say("output: \(value.text)")
        case "timestamps":
            session.timestamps = EventClock.Style(rawValue: value.text) ?? .off
            session.backend.stampEvents(session.timestamps != .off)
            session.say("timestamps: \(value.text)")
        case "map-memory-limit":
            guard let bytes = MemorySize.parse(value.text) else { return }
            session.mapMemoryLimit = MapMemoryLimit(bytes: bytes)
            session.say("map-memory-limit: \(MemorySize.describe(bytes)) for one map")
        case "stack-slots":
            guard let slots = MapDecl.parseCount(value.text) else { return }
            try session.setStackSlots(slots, at: value.range)
        case "stack-frames":
            session.stackFrames = StackFrameSetting(rawValue: value.text) ?? .traced
            session.say("stack-frames: \(value.text)")
        case "strlen":
            guard let length = Int(value.text) else { return }
            try session.setStringLength(length, at: value.range)
            session.say("strlen: \(length) (str() in probes and maps made from now on)")
        default:
            guard let bytes = Self.bytes(value.text) else { return }
            try session.resizeRingBuffer(bytes: bytes, at: value.range)
            session.say("ring buffer: \(formatBytes(bytes))")
        }
    }
}

/// `echo TEXT`: a line of text (script headers, section titles in notebooks).
struct EchoCommand: ShellCommand {
    static let name = "echo"
    static let summary = "print a line of text (a quoted string is printed without its quotes)"
    static let usage = "echo TEXT"
    static let example = "echo \"-- syscalls by process --\""

    let line: String

    init(_ syntax: CommandSyntax) throws {
        if let block = syntax.block {
            throw Diagnostic.error("echo takes no { } block", at: block.range, hint: "usage: \(Self.usage)")
        }
        let words = syntax.arguments.map { word -> String in
            let text = word.text
            guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
            return String(text.dropFirst().dropLast())
                .replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\t", with: "\t")
        }
        // The spacing typed between words is kept (an aligned header stays aligned).
        var line = words.first ?? ""
        for (index, word) in words.enumerated().dropFirst() {
            let (previous, next) = (syntax.arguments[index - 1].range, syntax.arguments[index].range)
            let gap = previous.end.line == next.start.line ? next.start.column - previous.end.column : 1
            line += String(repeating: " ", count: max(gap, 1)) + word
        }
        self.line = line
    }

    func execute(in session: Session, cell: Int) throws {
        session.showText(line + "\n")
    }
}
