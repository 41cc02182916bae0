import Foundation

/// What one `probe` command cost, for the confirmation line and the benchmark.
struct ProbeTiming {
    var compile: Double
    var load: Double
    var attach: Double
    var total: Double
    var isCached: Bool
}

extension Session {
    /// A probe resolved and compiled, not yet loaded (all a dry run does).
    struct CompiledProbe {
        var name: String
        var points: [AttachPoint]
        var unit: GeneratedUnit
        var object: CompiledObject
    }

    /// Checks names and map uses, resolves the spec and compiles the body.
    func compileProbe(name requestedName: String?, nameRange: SourceRange?, spec: ProbeSpec,
                      body: CodeBlock) throws -> CompiledProbe {
        if let requestedName {
            guard MapDecl.isIdentifier(requestedName) else {
                throw Diagnostic.error("'\(requestedName)' is not a valid probe name", at: nameRange,
                                       hint: "names are C identifiers: letters, digits and '_'")
            }
        }
        try checkMapUses(in: body)
        let runtime = try runtime()
        let points = try SpecResolver(runtime: runtime).resolve(spec)
        let name = requestedName ?? nextAutomaticName()
        let scanner = BodyScanner(body)
        let usedMaps = mapDefinitions.filter { scanner.identifiers.contains($0.decl.name) || cBlocksMention($0.decl.name) }
        let usesStacks = ["kstack", "ustack"].contains { scanner.identifiers.contains($0) || cBlocksMention($0) }
        let unit = CUnitBuilder.probeUnit(points: points, body: UserCode(fileName: UserCode.bodyFileName, block: body),
                                          cBlocks: cBlocks, maps: usedMaps, usesStacks: usesStacks)
        let object = try compile(unit, runtime: runtime, fallback: spec.range, what: "probe '\(name)'")
        return CompiledProbe(name: name, points: points, unit: unit, object: object)
    }

    /// Compiles, loads and attaches a probe. A probe with the name of an existing one
    /// replaces it only once the new one is attached: a mistake never loses the old.
    func addProbe(name requestedName: String?, nameRange: SourceRange?, spec: ProbeSpec, body: CodeBlock,
                  source: String, cell: Int, started: DispatchTime) throws -> (AttachedProbe, ProbeTiming) {
        guard nextProbeNumber < Prelude.firstMapErrorSlot - Prelude.firstProbeSlot else {
            throw Diagnostic.error("this session has created too many probes; start a new session", at: spec.range)
        }
        let built = try compileProbe(name: requestedName, nameRange: nameRange, spec: spec, body: body)
        let (name, points, unit, compiled) = (built.name, built.points, built.unit, built.object)
        let number = nextProbeNumber

        let loadStart = DispatchTime.now()
        let object = try BPFObject(elf: compiled.elf, name: "bpfsh_\(name)")
        do {
            try object.setInitialValue(CUnitBuilder.probeIDSection, to: UInt32(number))
            try bindMaps(of: object)
            try load(object, elf: compiled.elf, probeName: name, kind: spec.kind, range: spec.range)
        } catch {
            object.close()
            throw error
        }
        let loadMilliseconds = milliseconds(since: loadStart)

        let probe = AttachedProbe(number: number, name: name, spec: spec, points: points, source: source, unit: unit,
                                  elf: compiled.elf, object: object, compileMilliseconds: compiled.milliseconds,
                                  loadMilliseconds: loadMilliseconds)
        let attachStart = DispatchTime.now()
        do {
            try probe.attach()
        } catch {
            object.close()
            throw explainAttachFailure(error, spec: spec)
        }
        let attachMilliseconds = milliseconds(since: attachStart)
        nextProbeNumber += 1
        if let old = self.probe(named: name) {
            probes.removeAll { $0 === old }
            try? old.setEnabled(false)
            detacher.release(links: old.takeLinks(), then: old.object)
        }
        probes.append(probe)
        return (probe, ProbeTiming(compile: compiled.milliseconds, load: loadMilliseconds, attach: attachMilliseconds,
                                   total: milliseconds(since: started), isCached: compiled.isFromCache))
    }

    private func cBlocksMention(_ name: String) -> Bool {
        cBlocks.contains { BodyScanner($0.block).identifiers.contains(name) }
    }

    private func nextAutomaticName() -> String {
        var number = nextProbeNumber
        while probe(named: "p\(number)") != nil { number += 1 }
        return "p\(number)"
    }

    /// Checks each map operation names a declared map of a kind it works on.
    func checkMapUses(in body: CodeBlock) throws {
        var diagnostics: [Diagnostic] = []
        for use in BodyScanner(body).mapUses {
            guard let map = mapDefinitions.first(where: { $0.decl.name == use.mapName }) else {
                var hints: [String] = []
                if let hint = Suggestions.hint(for: use.mapName, in: mapNames) { hints.append(hint) }
                hints.append("declare it first, for example: map \(use.mapName) \(Self.exampleKind(for: use.operation))")
                diagnostics.append(Diagnostic(.error, "unknown map '\(use.mapName)'", at: use.range, hints: hints))
                continue
            }
            if let problem = Self.kindProblem(operation: use.operation, kind: map.decl.kind) {
                diagnostics.append(Diagnostic(.error, "\(use.operation)() cannot be used on '\(use.mapName)', a \(map.decl.kind.description) map",
                                              at: use.range, hints: [problem]))
            }
        }
        if !diagnostics.isEmpty { throw DiagnosticList(diagnostics) }
    }

    static func exampleKind(for operation: String) -> String {
        switch operation {
        case "count": return "count<comm_t>"
        case "sum": return "count<u32>"
        case "hist": return "hist"
        case "hist_by": return "hist<u32>"
        case "lhist": return "lhist(0, 1000, 100)"
        default: return "hash<u32, u64>"
        }
    }

    static func kindProblem(operation: String, kind: MapKind) -> String? {
        switch (operation, kind) {
        case ("count", .count), ("count", .hash), ("sum", .count), ("sum", .hash): return nil
        case ("set", .hash), ("set", .array), ("get", .hash), ("get", .array), ("get", .count),
             ("del", .hash), ("del", .count): return nil
        case ("hist", .hist(nil)), ("hist_by", .hist(_?)), ("lhist", .lhist): return nil
        case ("hist", .hist(_?)): return "it has a key: use hist_by(map, key, value)"
        case ("hist_by", .hist(nil)): return "it has no key: use hist(map, value)"
        default:
            return "\(operation)() works on \(expectedKinds(operation))"
        }
    }

    private static func expectedKinds(_ operation: String) -> String {
        switch operation {
        case "count", "sum": return "count<K> and hash<K, u64> maps"
        case "set": return "hash and array maps"
        case "get": return "hash, array and count maps"
        case "del": return "hash and count maps"
        case "hist": return "hist maps"
        case "hist_by": return "hist<K> maps"
        default: return "lhist maps"
        }
    }

    private func explainAttachFailure(_ error: Error, spec: ProbeSpec) -> Error {
        guard let kernel = error as? KernelError else { return error }
        // Find the cause before speaking: a missing kernel feature is named as such.
        if [.kprobe, .kretprobe].contains(spec.kind), !KernelFeatures.kprobesAvailable {
            return Diagnostic(.error, KernelFeatures.kprobesMissing, at: spec.range, hints: [KernelFeatures.kprobesAlternatives])
        }
        if [.uprobe, .uretprobe, .usdt].contains(spec.kind), !KernelFeatures.uprobesAvailable {
            return Diagnostic(.error, KernelFeatures.uprobesMissing, at: spec.range)
        }
        var diagnostic = Diagnostic(.error, kernel.description, at: spec.range)
        if let hint = kernel.hint {
            diagnostic.hints.append(hint)
        } else if kernel.errno == ENOENT {
            diagnostic.hints.append("the probe point disappeared or is not available on this kernel")
        }
        if kernel.errno == EBUSY { diagnostic.hints.append("another program holds this attach point exclusively") }
        return diagnostic
    }

    // MARK: attach / detach / drop

    func detach(_ probe: AttachedProbe) throws {
        try probe.setEnabled(false)
        detacher.release(links: probe.takeLinks())
    }

    func reattach(_ probe: AttachedProbe) throws {
        detacher.waitUntilIdle()
        try probe.attach()
    }

    func drop(_ probe: AttachedProbe) {
        probes.removeAll { $0 === probe }
        // Stopped now; if the switch cannot be flipped, the links go synchronously instead.
        if (try? probe.setEnabled(false)) == nil { probe.takeLinks().forEach { $0.destroy() } }
        detacher.release(links: probe.takeLinks(), then: probe.object)
    }

    /// The verifier's full log for a loaded probe: reload its object with logging on.
    func verifierLog(for probe: AttachedProbe) throws -> String {
        try reloadWithVerifierLog(elf: probe.elf, name: "bpfsh_log_\(probe.name)", requireSuccess: true)
    }

    /// tp_btf and fentry/fexit: compile and load a minimal program; only a load shows
    /// whether the kernel allows it (BPF trampolines may be refused with EPERM, even to root).
    func probeBTFTracing(kind: ProbeKind, target: String) -> FeatureProbe.Finding {
        let name = kind == .fentry ? "fentry/fexit" : kind.rawValue
        let body = CodeBlock(text: "", start: SourceLocation(line: 1, column: 1), range: SourceRange(line: 1, column: 1, length: 1))
        do {
            let runtime = try runtime()
            let point = try SpecResolver(runtime: runtime).resolve(ProbeSpec(kind: kind, parts: [target]))[0]
            let unit = CUnitBuilder.probeUnit(points: [point], body: UserCode(fileName: UserCode.bodyFileName, block: body),
                                              cBlocks: [], maps: [])
            let compiled = try runtime.compiler.compile(unit)
            let object = try BPFObject(elf: compiled.elf, name: "bpfsh_feature")
            defer { object.close() }
            try bindMaps(of: object)
            try object.load()
            return .init(name: name, isAvailable: true, detail: "a \(kind.rawValue):\(target) program loads")
        } catch let error as KernelError {
            return .init(name: name, isAvailable: false,
                         detail: error.errno == EPERM ? "load refused with EPERM: no BPF trampolines here" : error.description)
        } catch {
            return .init(name: name, isAvailable: false, detail: "\(error)")
        }
    }
}
