import Foundation

/// Finds the function a uprobe names the way the dynamic linker would: a plain name
/// binds to its default version (`pthread_create@@GLIBC_2.34`), `name@VERSION` to that one.
struct UserFunctionLookup {
    let path: String
    let functions: [ELFFunction]

    func resolve(_ text: String, at range: SourceRange?) throws -> ELFFunction {
        let pieces = text.components(separatedBy: "@").filter { !$0.isEmpty }
        let name = pieces.first ?? text
        let version = pieces.count > 1 ? pieces.last : nil
        let named = functions.filter { $0.name == name }
        guard !named.isEmpty else {
            throw Diagnostic(.error, "'\(path)' has no function '\(name)'", at: range,
                             hints: [Suggestions.hint(for: name, in: Set(functions.map(\.name)))
                                        ?? "Tab after 'uprobe:BINARY:' lists its functions"])
        }
        if let version {
            guard let match = named.first(where: { $0.version == version }) else {
                throw Diagnostic(.error, "'\(path)' has no version \(version) of '\(name)'", at: range,
                                 hints: ["its versions: " + named.map(\.versionedName).joined(separator: ", ")])
            }
            return match
        }
        // Several entries at one address are aliases; otherwise the default version wins.
        if Set(named.map(\.address)).count == 1, let only = named.first(where: \.isDefaultVersion) ?? named.first { return only }
        let defaults = named.filter(\.isDefaultVersion)
        if Set(defaults.map(\.address)).count == 1, let chosen = defaults.first { return chosen }
        throw Diagnostic(.error, "'\(name)' is ambiguous in '\(path)'", at: range,
                         hints: ["name one: " + named.map(\.versionedName).joined(separator: ", ")])
    }
}

/// Resolves a probe spec against the running kernel: which points exist, what the body
/// sees at each, and a helpful error naming close matches when they do not.
struct SpecResolver {
    static let maximumPrograms = 512
    /// Kernel types, functions and BTF tracepoints (readable without privileges).
    let btf: KernelBTF
    /// tracefs's categories, events and formats, asked for only by tracepoint specs
    /// (tracefs is root's to read, so a dry run of BTF-described points never needs it).
    let tracepoints: () throws -> TracepointCatalog
    /// ELF function tables, kept by the session across probes.
    var elfFunctions = ELFFunctionCache()

    func resolve(_ spec: ProbeSpec) throws -> [AttachPoint] {
        switch spec.kind {
        case .tracepoint:
            return try resolveTracepoint(spec)
        case .rawTracepoint:
            return try resolveBTFTracepoint(spec) { event in (.rawTracepoint(event: event), .rawTracepoint) }
        case .tpBTF:
            return try resolveBTFTracepoint(spec) { event in
                (.btfTracepoint(event: event), .typed(try btf.tracepointParameters(event) ?? []))
            }
        case .kprobe, .kretprobe:
            return [try resolveKprobe(spec)]
        case .fentry, .fexit:
            return [try resolveFentry(spec)]
        case .uprobe, .uretprobe:
            return [try resolveUprobe(spec)]
        case .usdt:
            return [try resolveUSDT(spec)]
        case .profile, .software, .hardware, .interval:
            return [try resolvePerfEvent(spec)]
        }
    }

    private func resolveTracepoint(_ spec: ProbeSpec) throws -> [AttachPoint] {
        let tracefs = try tracepoints()
        let (categoryPattern, eventPattern) = (spec.parts[0], spec.parts[1])
        // The common case reads one file; listing tracefs is for wildcards and errors.
        if !spec.hasWildcard, let format = tracefs.format(category: categoryPattern, event: eventPattern) {
            return [AttachPoint(kind: .tracepoint, target: .tracepoint(category: categoryPattern, event: eventPattern),
                                context: .tracepoint(format))]
        }
        let categories = tracefs.categories()
        let matchingCategories = categories.filter { Wildcard.matches(categoryPattern, $0) }
        guard !matchingCategories.isEmpty else {
            throw Diagnostic(.error, "no tracepoint category '\(categoryPattern)'", at: spec.range,
                             hints: [Suggestions.hint(for: categoryPattern, in: categories) ?? "'list tracepoint:*' shows the categories"])
        }
        var points: [AttachPoint] = []
        for category in matchingCategories {
            let events = tracefs.events(in: category)
            for event in events where Wildcard.matches(eventPattern, event) {
                guard let format = tracefs.format(category: category, event: event) else { continue }
                points.append(AttachPoint(kind: .tracepoint, target: .tracepoint(category: category, event: event),
                                          context: .tracepoint(format)))
            }
            if points.isEmpty, !spec.hasWildcard {
                let hint = Suggestions.hint(for: eventPattern, in: events)
                    ?? "'list tracepoint:\(category):*' shows its events"
                throw Diagnostic(.error, "no tracepoint '\(eventPattern)' in category '\(category)'", at: spec.range,
                                 hints: [hint])
            }
        }
        try checkCount(points, spec)
        return points
    }

    private func resolveBTFTracepoint(_ spec: ProbeSpec,
                                      point: (String) throws -> (AttachTarget, ProgramContext)) throws -> [AttachPoint] {
        let pattern = spec.parts[0]
        var events: [String]
        if spec.hasWildcard {
            events = try btf.tracepointNames().filter { Wildcard.matches(pattern, $0) }.sorted()
        } else {
            events = try btf.hasTracepoint(pattern) ? [pattern] : []
        }
        guard !events.isEmpty else {
            let names = (try? btf.tracepointNames()) ?? []
            throw Diagnostic(.error, "the kernel has no tracepoint '\(pattern)'", at: spec.range,
                             hints: [Suggestions.hint(for: pattern, in: names) ?? "'list \(spec.kind.rawValue):*' shows them"])
        }
        let points = try events.map { event in
            let (target, context) = try point(event)
            return AttachPoint(kind: spec.kind, target: target, context: context)
        }
        try checkCount(points, spec)
        return points
    }

    /// FUNC or FUNC+OFFSET (kretprobes take no offset).
    private func splitOffset(_ text: String, _ spec: ProbeSpec) throws -> (String, Int) {
        let pieces = text.split(separator: "+", maxSplits: 1).map(String.init)
        guard pieces.count == 2 else { return (text, 0) }
        let offsetText = pieces[1].lowercased()
        let offset = offsetText.hasPrefix("0x") ? Int(offsetText.dropFirst(2), radix: 16) : Int(offsetText)
        guard let offset, offset >= 0, !spec.kind.isReturn else {
            throw Diagnostic.error(spec.kind.isReturn ? "\(spec.kind.rawValue) takes no offset" : "'\(pieces[1])' is not an offset",
                                   at: spec.range, hint: "offsets are written FUNC+0x10 or FUNC+16")
        }
        return (pieces[0], offset)
    }

    private func resolveKprobe(_ spec: ProbeSpec) throws -> AttachPoint {
        let (function, offset) = try splitOffset(spec.parts[0], spec)
        let signature = try btf.functionSignature(function)
        if signature == nil, !KernelSymbols.hasFunction(function) {
            throw Diagnostic(.error, "the kernel has no function '\(function)'", at: spec.range,
                             hints: [Suggestions.hint(for: function, in: (try? btf.functionNames()) ?? [])
                                        ?? "Tab after 'kprobe:' and two letters lists kernel functions"])
        }
        return AttachPoint(kind: spec.kind, target: .kernelFunction(name: function, offset: offset, isReturn: spec.kind.isReturn),
                           context: .registers(isReturn: spec.kind.isReturn, parameters: offset == 0 ? signature?.parameters ?? [] : []),
                           label: spec.description)
    }

    private func resolveFentry(_ spec: ProbeSpec) throws -> AttachPoint {
        let function = spec.parts[0]
        guard let signature = try btf.functionSignature(function) else {
            let names = (try? btf.functionNames()) ?? []
            throw Diagnostic(.error, "BTF describes no kernel function '\(function)', so \(spec.kind.rawValue) cannot attach to it",
                             at: spec.range, hints: [Suggestions.hint(for: function, in: names) ?? "kprobe:\(function) may still work"])
        }
        let result = spec.kind == .fexit
            ? (signature.result ?? TypedParameter(name: "retval", declaration: "long retval")) : nil
        return AttachPoint(kind: spec.kind, target: .trampoline(function: function, isExit: spec.kind == .fexit),
                           context: .typed(signature.parameters, result: result))
    }

    private func binary(_ name: String, _ spec: ProbeSpec) throws -> (path: String, file: ELFFile) {
        guard let path = BinaryLocator.resolve(name) else {
            throw Diagnostic.error("no binary '\(name)': not a file, not on PATH and not a library name", at: spec.range,
                                   hint: "give a path (/usr/bin/python3) or a library name (libc)")
        }
        guard let file = ELFFile(path: path) else {
            throw Diagnostic.error("'\(path)' is not an ELF binary bpfsh can read", at: spec.range)
        }
        return (path, file)
    }

    private func resolveUprobe(_ spec: ProbeSpec) throws -> AttachPoint {
        let (path, file) = try binary(spec.parts[0], spec)
        let (symbol, offset) = try splitOffset(spec.parts[1], spec)
        let start: UInt64
        if symbol.lowercased().hasPrefix("0x") {
            guard let address = UInt64(symbol.dropFirst(2), radix: 16),
                  let fileOffset = ELFFile.fileOffset(of: address, in: file.loadSegments()) else {
                throw Diagnostic.error("'\(symbol)' is not an address inside '\(path)'", at: spec.range,
                                       hint: "addresses are virtual addresses as nm or objdump print them")
            }
            start = fileOffset
        } else {
            start = try UserFunctionLookup(path: path, functions: elfFunctions.functions(of: file, at: path))
                .resolve(symbol, at: spec.range).fileOffset
        }
        return AttachPoint(kind: spec.kind,
                           target: .userFunction(binary: path, function: symbol, offset: offset, fileOffset: start + UInt64(offset),
                                                 isReturn: spec.kind.isReturn),
                           context: .registers(isReturn: spec.kind.isReturn, parameters: []), label: spec.description)
    }

    private func resolveUSDT(_ spec: ProbeSpec) throws -> AttachPoint {
        let (path, file) = try binary(spec.parts[0], spec)
        let probes = file.usdtProbes().map { "\($0.provider):\($0.name)" }
        let wanted = "\(spec.parts[1]):\(spec.parts[2])"
        guard probes.contains(wanted) else {
            let hint = probes.isEmpty ? "'\(path)' has no USDT notes (.note.stapsdt)"
                : (Suggestions.hint(for: wanted, in: probes) ?? "its probes: " + probes.prefix(8).joined(separator: ", "))
            throw Diagnostic(.error, "'\(path)' has no USDT probe '\(wanted)'", at: spec.range, hints: [hint])
        }
        return AttachPoint(kind: .usdt, target: .usdt(binary: path, provider: spec.parts[1], name: spec.parts[2]),
                           context: .usdt, label: spec.description)
    }

    /// profile, interval, software and hardware: which counter, how often, on which CPUs.
    private func resolvePerfEvent(_ spec: ProbeSpec) throws -> AttachPoint {
        let cpuClock = PerfEvents.software["cpu-clock"] ?? 0
        let target: PerfEventTarget
        switch spec.kind {
        case .profile:
            guard let rate = UInt64(spec.parts[1]), rate > 0, rate <= 100_000 else {
                throw Diagnostic.error("'\(spec.parts[1])' is not a sampling rate", at: spec.range, hint: "for example profile:hz:99")
            }
            target = PerfEventTarget(counter: .software(config: cpuClock), sampling: .frequency(rate), cpus: .all)
        case .interval:
            guard let seconds = DurationParser.seconds(spec.parts[0]), seconds >= 0.0001 else {
                throw Diagnostic.error("'\(spec.parts[0])' is not an interval", at: spec.range,
                                       hint: Double(spec.parts[0]) != nil ? DurationParser.hint(for: spec.parts[0])
                                           : "for example interval:1s or interval:100ms")
            }
            target = PerfEventTarget(counter: .software(config: cpuClock), sampling: .period(UInt64(seconds * 1e9)), cpus: .one)
        default:
            let isHardware = spec.kind == .hardware
            let catalog = isHardware ? PerfEvents.hardware : PerfEvents.software
            let name = spec.parts[0]
            guard let config = catalog[name] else {
                throw Diagnostic(.error, "no \(spec.kind.rawValue) event '\(name)'", at: spec.range,
                                 hints: [Suggestions.hint(for: name, in: catalog.keys) ?? "events: " + catalog.keys.sorted().joined(separator: ", ")])
            }
            var period = PerfEvents.defaultPeriod(for: name, isHardware: isHardware)
            if spec.parts.count == 2 {
                guard let given = UInt64(spec.parts[1]), given > 0 else {
                    throw Diagnostic.error("'\(spec.parts[1])' is not a sample period", at: spec.range,
                                           hint: "events between samples, for example \(spec.kind.rawValue):\(name):100000")
                }
                period = given
            }
            target = PerfEventTarget(counter: isHardware ? .hardware(config: config) : .software(config: config),
                                     sampling: .period(period), cpus: .all)
        }
        return AttachPoint(kind: spec.kind, target: .perfEvent(target), context: .perfEvent, label: spec.description)
    }

    private func checkCount(_ points: [AttachPoint], _ spec: ProbeSpec) throws {
        guard points.count <= Self.maximumPrograms else {
            throw Diagnostic.error("'\(spec)' matches \(points.count) probe points; bpfsh attaches at most \(Self.maximumPrograms) per probe",
                                   at: spec.range, hint: "narrow the wildcard")
        }
        guard !points.isEmpty else {
            throw Diagnostic.error("'\(spec)' matches no probe point", at: spec.range)
        }
    }
}
