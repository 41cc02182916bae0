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
    /// A probe resolved and compiled, not yet loaded.
    struct CompiledProbe {
        var name: String
        var points: [AttachPoint]
        var unit: GeneratedUnit
        var object: CompiledObject
        /// The session maps its body or the c blocks name (bound at load).
        var maps: [SessionMap]
    }

    /// Resolves specs against the backend's view of the kernel.
    func specResolver() -> SpecResolver {
        SpecResolver(btf: backend.btf, tracepoints: { [backend] in try backend.tracepoints() }, elfFunctions: elfFunctions)
    }

    /// Checks names and map uses, resolves the spec and compiles the body.
    func compileProbe(name requestedName: String?, nameRange: SourceRange?, specs: [ProbeSpec],
                      body: CodeBlock) throws -> CompiledProbe {
        if let requestedName {
            guard MapDecl.isIdentifier(requestedName) else {
                throw Diagnostic.error("'\(requestedName)' is not a valid probe name", at: nameRange,
                                       hint: "names are C identifiers: letters, digits and '_'")
            }
        }
        try checkMapUses(in: body)
        let runtime = try runtime()
        var points: [AttachPoint] = []
        for spec in specs {
            // A point listed twice (or matched by two patterns) attaches once.
            for point in try withKernelErrors(at: spec.range, { try specResolver().resolve(spec) }) where !points.contains(point) {
                points.append(point)
            }
        }
        guard points.count <= SpecResolver.maximumPrograms else {
            throw Diagnostic.error("these specs match \(points.count) probe points; bpfsh attaches at most \(SpecResolver.maximumPrograms) per probe",
                                   at: specs.first?.range, hint: "narrow the wildcards")
        }
        let fallback = specs.first?.range
        let name = requestedName ?? nextAutomaticName()
        let scanner = BodyScanner(body)
        let usedMaps = maps.filter { scanner.identifiers.contains($0.decl.name) || cBlocksMention($0.decl.name) }
        let unit = CUnitBuilder.probeUnit(points: points, body: UserCode(fileName: UserCode.bodyFileName, block: body),
                                          cBlocks: cBlocks, maps: usedMaps.map(\.definition), stringLength: stringLength)
        let object = try compile(unit, runtime: runtime, fallback: fallback, what: "probe '\(name)'", points: points)
        return CompiledProbe(name: name, points: points, unit: unit, object: object, maps: usedMaps)
    }

    /// Compiles, loads and attaches a probe. A probe with the name of an existing one
    /// replaces it only once the new one is attached: a mistake never loses the old.
    func addProbe(name requestedName: String?, nameRange: SourceRange?, specs: [ProbeSpec], body: CodeBlock,
                  source: String, started: DispatchTime) throws -> (AttachedProbe, ProbeTiming) {
        let range = specs.first?.range
        guard nextProbeNumber < Prelude.firstMapErrorSlot - Prelude.firstProbeSlot else {
            throw Diagnostic.error("this session has created too many probes; start a new session", at: range)
        }
        // `drop NAME`, `show NAME` would not know which one was meant.
        if let requestedName, map(named: requestedName) != nil {
            throw Diagnostic.error("'\(requestedName)' is already a map's name; a probe needs another", at: nameRange,
                                   hint: "for example: probe \(requestedName)_probe …")
        }
        let built = try compileProbe(name: requestedName, nameRange: nameRange, specs: specs, body: body)
        let kind = built.points.first?.kind
        let number = nextProbeNumber
        let image = CompiledImage(elf: built.object.elf, name: "bpfsh_\(built.name)",
                                  programNames: built.unit.programNames, kind: kind)

        let loadStart = DispatchTime.now()
        let handle = try withKernelErrors(at: range, probeName: built.name, points: built.points) {
            try backend.loadProbe(image, number: number, maps: built.maps.map(\.handle))
        }
        let loadMilliseconds = milliseconds(since: loadStart)

        let attachStart = DispatchTime.now()
        do {
            try backend.attach(handle, at: built.points)
        } catch {
            backend.unload(handle)
            throw userFacing(error, at: range)
        }
        let attachMilliseconds = milliseconds(since: attachStart)
        let probe = AttachedProbe(number: number, name: built.name, specs: specs, points: built.points, source: source,
                                  unit: built.unit, handle: handle, mapNames: built.maps.map(\.decl.name),
                                  compileMilliseconds: built.object.milliseconds,
                                  loadMilliseconds: loadMilliseconds)
        nextProbeNumber += 1
        for (index, point) in built.points.enumerated() {
            pointLabels[ProbePoint.id(probe: number, index: index)] = point.label
        }
        if let old = self.probe(named: built.name) {
            probes.removeAll { $0 === old }
            backend.unload(old.handle)
        }
        probes.append(probe)
        return (probe, ProbeTiming(compile: built.object.milliseconds, load: loadMilliseconds, attach: attachMilliseconds,
                                   total: milliseconds(since: started), isCached: built.object.isFromCache))
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
            guard let operation = MapOperation(rawValue: use.operation), operation.isMapUse(arguments: use.argumentCount) else { continue }
            guard let map = self.map(named: use.mapName) else {
                var hints: [String] = []
                if let hint = Suggestions.hint(for: use.mapName, in: mapNames) { hints.append(hint) }
                let keyArgument = CallScanner.calls(named: use.operation, in: body.text)
                    .first { $0.arguments.first?.text == use.mapName && $0.arguments.count > 1 }?.arguments[1].text
                let key = keyArgument.flatMap(Builtin.resultType)
                hints.append("declare it first, for example: map \(use.mapName) \(operation.exampleDeclaration(arguments: use.argumentCount, key: key))")
                diagnostics.append(Diagnostic(.error, "unknown map '\(use.mapName)'", at: use.range, hints: hints))
                continue
            }
            if let problem = operation.problem(with: map.decl.kind) {
                diagnostics.append(Diagnostic(.error, "\(use.operation)() cannot be used on '\(use.mapName)', \(map.decl.kind.description.first.map { "aeiou".contains($0) } == true ? "an" : "a") \(map.decl.kind.description) map",
                                              at: use.range, hints: [problem]))
            } else if let problem = operation.arityProblem(mapName: use.mapName, kind: map.decl.kind, arguments: use.argumentCount) {
                diagnostics.append(Diagnostic(.error, "wrong number of arguments to \(use.operation)() for '\(use.mapName)'",
                                              at: use.range, hints: [problem]))
            }
        }
        let bytes = Array(body.text.utf8)
        // A wrong count is reported once: by the map checks above when they saw it.
        let reported = Set(diagnostics.compactMap { $0.range.map { "\($0.start.line):\($0.start.column)" } })
        for problem in ArityCheck.problems(in: body.text) {
            let range = BodyScanner.range(of: problem.offset, length: problem.length, in: bytes, block: body)
            guard !reported.contains("\(range.start.line):\(range.start.column)") else { continue }
            diagnostics.append(Diagnostic(.error, problem.message, at: range, hints: [problem.hint]))
        }
        for problem in PrintCheck.problems(in: body.text) {
            diagnostics.append(Diagnostic(.error, problem.message,
                                          at: BodyScanner.range(of: problem.offset, length: problem.length, in: bytes, block: body),
                                          hints: [problem.hint]))
        }
        if !diagnostics.isEmpty { throw DiagnosticList(diagnostics) }
    }

    // MARK: attach / detach / drop

    func detach(_ probe: AttachedProbe) throws {
        try withKernelErrors(at: nil) { try backend.detach(probe.handle) }
    }

    func reattach(_ probe: AttachedProbe) throws {
        try withKernelErrors(at: probe.specs.first?.range) { try backend.attach(probe.handle, at: probe.points) }
    }

    /// Deletes a map no probe uses: the kernel frees it and its name is free again.
    func dropMap(_ map: SessionMap) {
        maps.removeAll { $0 === map }
        backend.release(map.handle)
    }

    func drop(_ probe: AttachedProbe) {
        probes.removeAll { $0 === probe }
        backend.unload(probe.handle)
    }

    /// The verifier's full log for a loaded probe.
    func verifierLog(for probe: AttachedProbe) throws -> String {
        try withKernelErrors(at: nil) { try backend.verifierLog(of: probe.handle) }
    }

    /// tp_btf and fentry/fexit: minimal programs whose load tells whether the kernel
    /// allows the kind; compiled here, tried by the backend.
    func featureTrials() -> [FeatureTrial] {
        [(ProbeKind.tpBTF, "sched_switch", "tp_btf"), (.fentry, "vfs_read", "fentry/fexit")].compactMap { kind, target, name in
            let body = CodeBlock(text: "", start: SourceLocation(line: 1, column: 1), range: SourceRange(line: 1, column: 1, length: 1))
            guard let runtime = try? runtime(),
                  let point = try? specResolver().resolve(ProbeSpec(kind: kind, parts: [target])).first else { return nil }
            let unit = CUnitBuilder.probeUnit(points: [point], body: UserCode(fileName: UserCode.bodyFileName, block: body),
                                              cBlocks: [], maps: [])
            guard let compiled = try? runtime.compile(unit) else { return nil }
            return FeatureTrial(name: name, kind: kind, target: target,
                                image: CompiledImage(elf: compiled.elf, name: "bpfsh_feature", programNames: unit.programNames, kind: kind))
        }
    }
}
