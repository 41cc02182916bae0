import Foundation

extension Session {
    /// Fewer records than this from one poll: wait a millisecond before the next.
    static let recordsWorthAPoll = 1000

    /// True once SIGTERM or SIGHUP arrived: scripts and loops stop, the shell tears down.
    var isInterrupted: Bool { Signals.termination != nil }

    /// Lets events flow for `seconds` (nil: until Ctrl-C), draining print() output and
    /// reporting lost records each second. Returns true when Ctrl-C or a signal ended it.
    func pump(seconds: Double?) -> Bool {
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = seconds.map { start + UInt64($0 * 1e9) }
        var nextReport = start + 1_000_000_000
        var interrupted = false
        while true {
            if Signals.takeInterrupt() || Signals.termination != nil {
                interrupted = true
                // The terminal echoed ^C where the cursor was: what follows starts a line.
                if presenter.sink.isTerminal {
                    presenter.flush()
                    presenter.sink.write("\n")
                }
                break
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if let deadline, now >= deadline { break }
            let untilDeadline = deadline.map { ($0 - now) / 1_000_000 } ?? 100
            let drained = backend.waitForEvents(milliseconds: Int32(min(100, max(1, untilDeadline))))
            // No periodic look at new processes: each one is announced through the ring
            // buffer, which wakes this wait at once (see bpfsh_announce_process).
            presenter.flush()
            // A steady stream keeps the ring buffer readable, so each poll returned at
            // once with a few dozen records: one poll and one write per 60 lines. A
            // millisecond's pause lets about a thousand gather (the buffer holds seconds).
            if drained > 0, drained < Self.recordsWorthAPoll { usleep(1000) }
            if now >= nextReport {
                reportRuntimeProblems()
                // Processes announced since: scrapes can name their stacks.
                publishMetrics()
                nextReport = now + 1_000_000_000
            }
        }
        backend.drainEvents()
        reportRuntimeProblems()
        presenter.flush()
        return interrupted
    }

    /// Runs a command inside another (every's block): no cell of its own, no history.
    func perform(_ syntax: CommandSyntax, cell: Int) throws {
        guard let type = CommandRegistry.command(named: syntax.name.text) else {
            throw Diagnostic.error("unknown command '\(syntax.name.text)'")
        }
        let outer = currentCommand
        currentCommand = type.name
        defer { currentCommand = outer }
        try type.init(syntax).execute(in: self, cell: cell)
    }

    /// The commands that rebuild this session, in order, for `save`.
    func script(includeFailures: Bool) -> String {
        var lines = ["# bpfsh session script: replay it with 'bpfsh FILE' or 'load FILE'"]
        for entry in history where entry.isRecorded {
            if entry.succeeded {
                lines.append(entry.text)
            } else if includeFailures {
                lines.append("# failed: " + entry.text.split(separator: "\n", omittingEmptySubsequences: false)
                    .joined(separator: "\n#         "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The size of str_t from now on. Maps keyed or valued by str_t keep the size they
    /// were made with, so probes using them would no longer fit: refuse and name them.
    func setStringLength(_ length: Int, at range: SourceRange) throws {
        let holders = maps.filter { [$0.keyType, $0.valueType].contains { $0.displayName.contains("str_t") } }
        guard holders.isEmpty || length == stringLength else {
            throw Diagnostic.error("maps holding str_t were made with strlen \(stringLength): "
                                       + holders.map(\.decl.name).joined(separator: ", "), at: range,
                                   hint: "set strlen before declaring them, or declare new maps after it")
        }
        stringLength = length
    }

    /// The stack map's size, before the first probe that takes a stack makes it; within
    /// the memory one map may take.
    func setStackSlots(_ slots: Int, at range: SourceRange) throws {
        let bytes = StackSlots.kernelBytes(slots)
        guard bytes <= mapMemoryLimit.bytes else {
            throw Diagnostic.error("\(slots) stack slots would take \(MemorySize.describe(bytes)) of kernel memory, over the limit of \(MemorySize.describe(mapMemoryLimit.bytes)) for one map",
                                   at: range, hint: "raise it first: set map-memory-limit \(MemorySize.suggestion(above: bytes))")
        }
        guard backend.setStackSlots(slots) else {
            throw Diagnostic.error("the stack map exists already: the first probe that took a stack made it", at: range,
                                   hint: "set stack-slots before that probe (at the start of a session or script)")
        }
        say("stack-slots: \(slots) (about \(MemorySize.describe(bytes)) of kernel memory, made with the first probe that takes a stack)")
    }

    /// A new ring buffer for print(); only while no probe holds the old one.
    func resizeRingBuffer(bytes: Int, at range: SourceRange) throws {
        guard probes.isEmpty else {
            throw Diagnostic.error("the ring buffer can only be resized while no probe is loaded", at: range,
                                   hint: "drop " + probes.map(\.name).joined(separator: ", ") + " first, or set it at the start of the session")
        }
        try withKernelErrors(at: range) { try backend.resizeEventBuffer(bytes: bytes) }
    }

    /// Writes one print() record: as typed in text mode, as an object in JSON mode.
    func emitEvent(_ record: EventRecord) {
        let number = record.probeNumber
        if number == EventRecord.processAnnouncement {
            takeProcessSnapshot(announced: record)
            return
        }
        // The common case at a million lines a second: no time, no stacks, no allocation.
        if timestamps == .off, record.kernelStack == -1, record.userStack == -1 {
            presenter.showEvent(probe: { probes.first { $0.number == number }?.name ?? "p\(number)" }, text: record.text)
            return
        }
        let time = timestamps == .off ? nil : eventClock.stamp(record.nanoseconds, style: timestamps)
        var frames: [String: [String]] = [:]
        if record.kernelStack != -1 || record.userStack != -1 {
            // The record names its process: read that one's mappings (once), not the whole
            // pid map on every line.
            let pid = record.userStackPID
            if record.userStack != -1, processMaps[pid] == nil, let maps = ProcessMaps(pid: pid) { processMaps[pid] = maps }
            let symbolizer = stackSymbolizer()
            if record.kernelStack != -1 {
                frames["kstack"] = symbolizer.frames(for: StackTrace(isUser: false, id: record.kernelStack, pid: nil))
            }
            if record.userStack != -1 {
                frames["ustack"] = symbolizer.frames(for: StackTrace(isUser: true, id: record.userStack, pid: record.userStackPID))
            }
        }
        presenter.showEvent(probe: { probes.first { $0.number == number }?.name ?? "p\(number)" }, time: time,
                            text: record.text, frames: frames)
    }

    /// A process announced from BPF (new, a pid reused, or its mappings changed): its
    /// mappings as they are now. One already gone that was forked without exec has its
    /// parent's layout: the parent's mappings name its frames.
    private func takeProcessSnapshot(announced record: EventRecord) {
        let pid = record.userStackPID
        if let maps = ProcessMaps(pid: pid) {
            processMaps[pid] = maps
            return
        }
        let parent = UInt32(truncatingIfNeeded: record.nanoseconds)
        guard record.nanoseconds >> 32 == 1, parent != 0,
              let maps = ProcessMaps(pid: parent) ?? processMaps[parent] else { return }
        processMaps[parent] = maps
        processMaps[pid] = maps
    }
}

/// The stack map's size. The kernel hashes a stack to a slot, and a stack whose slot
/// holds another is lost: 10,000 distinct stacks in 16,384 slots lose about a quarter,
/// in 262,144 about 2 %.
enum StackSlots {
    static let range = 1024...(1 << 20)

    /// Each slot is preallocated with Prelude.stackDepth addresses and a small header;
    /// the bucket table, one pointer a bucket, is rounded up to a power of two.
    static func kernelBytes(_ slots: Int) -> UInt64 {
        var buckets = 1
        while buckets < slots { buckets <<= 1 }
        return UInt64(slots) * UInt64(8 * Prelude.stackDepth + 16) + UInt64(buckets) * 8
    }
}
