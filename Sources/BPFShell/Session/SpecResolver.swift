import Foundation

/// Resolves a probe spec against the running kernel: which events exist, what their
/// records look like, and a helpful error naming close matches when they do not.
struct SpecResolver {
    static let maximumPrograms = 512
    let runtime: Runtime

    func resolve(_ spec: ProbeSpec) throws -> [AttachPoint] {
        switch spec.kind {
        case .tracepoint:
            return try resolveTracepoint(spec)
        case .rawTracepoint:
            return try resolveBTFTracepoint(spec) { _ in .rawTracepoint }
        case .tpBTF:
            return try resolveBTFTracepoint(spec) { event in
                .typed(try runtime.btf.tracepointParameters(event) ?? [])
            }
        default:
            let available = ProbeKind.allCases.filter(\.isImplemented).map(\.rawValue).joined(separator: ", ")
            throw Diagnostic(.error, "\(spec.kind.rawValue) probes are recognised but not supported by this version of bpfsh yet",
                             at: spec.range, hints: ["probe kinds available now: \(available)"])
        }
    }

    private func resolveTracepoint(_ spec: ProbeSpec) throws -> [AttachPoint] {
        let tracefs = try runtime.tracefs()
        let (categoryPattern, eventPattern) = (spec.parts[0], spec.parts[1])
        // The common case reads one file; listing tracefs is for wildcards and errors.
        if !spec.hasWildcard, let format = tracefs.format(category: categoryPattern, event: eventPattern) {
            return [AttachPoint(kind: .tracepoint, target: [categoryPattern, eventPattern], context: .tracepoint(format))]
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
                points.append(AttachPoint(kind: .tracepoint, target: [category, event], context: .tracepoint(format)))
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

    private func resolveBTFTracepoint(_ spec: ProbeSpec, context: (String) throws -> ProgramContext) throws -> [AttachPoint] {
        let pattern = spec.parts[0]
        var events: [String]
        if spec.hasWildcard {
            events = try runtime.btf.tracepointNames().filter { Wildcard.matches(pattern, $0) }.sorted()
        } else {
            events = try runtime.btf.hasTracepoint(pattern) ? [pattern] : []
        }
        guard !events.isEmpty else {
            let names = (try? runtime.btf.tracepointNames()) ?? []
            throw Diagnostic(.error, "the kernel has no tracepoint '\(pattern)'", at: spec.range,
                             hints: [Suggestions.hint(for: pattern, in: names) ?? "'list \(spec.kind.rawValue):*' shows them"])
        }
        let points = try events.map { AttachPoint(kind: spec.kind, target: [$0], context: try context($0)) }
        try checkCount(points, spec)
        return points
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
