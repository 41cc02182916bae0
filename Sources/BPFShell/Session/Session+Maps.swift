import Foundation

extension Session {
    /// The session's map declarations: real maps, or the planned ones of a dry run.
    var mapDefinitions: [MapDefinition] {
        isDryRun ? plannedMaps : maps.map(\.definition)
    }

    /// A dry run's `map`: the declaration compiles, nothing is created.
    func planMap(_ decl: MapDecl, range: SourceRange?) throws {
        if mapDefinitions.contains(where: { $0.decl.name == decl.name }) {
            throw Diagnostic(.error, "a map named '\(decl.name)' already exists", at: decl.nameRange)
        }
        let definition = MapDefinition(decl: decl, id: nextMapID)
        _ = try compile(CUnitBuilder.mapUnit(cBlocks: cBlocks, maps: [definition]), runtime: try runtime(),
                        fallback: range, what: "map '\(decl.name)'")
        nextMapID += 1
        plannedMaps.append(definition)
    }

    /// Creates a session map: a unit that declares only it is compiled and loaded,
    /// which gives the map BTF for its key and value types; the session keeps the fd.
    func declareMap(_ decl: MapDecl, range: SourceRange?) throws -> SessionMap {
        if let existing = map(named: decl.name) {
            throw Diagnostic(.error, "a map named '\(decl.name)' already exists (\(existing.decl.kind.description))",
                             at: decl.nameRange,
                             hints: ["empty it with 'clear \(decl.name)', or choose another name"])
        }
        guard nextMapID < Prelude.counterSlots - Prelude.firstMapErrorSlot else {
            throw Diagnostic.error("this session has declared too many maps", at: decl.nameRange)
        }
        let runtime = try runtime()
        let definition = MapDefinition(decl: decl, id: nextMapID)
        let unit = CUnitBuilder.mapUnit(cBlocks: cBlocks, maps: [definition])
        let compiled = try compile(unit, runtime: runtime, fallback: range, what: "map '\(decl.name)'")
        let object = try BPFObject(elf: compiled.elf, name: "bpfsh_m_\(decl.name)")
        defer { object.close() }
        try bindMaps(of: object)
        try object.load()
        guard let fd = object.mapFD(named: decl.name), let ids = object.mapBTFTypeIDs(named: decl.name),
              let btf = object.btf else {
            throw Diagnostic.error("internal error: the map unit for '\(decl.name)' has no map", at: range)
        }
        let reader = BTFReader(btf: btf)
        let kernelMap = try KernelMap(adopting: dup(fd), name: decl.name)
        let map = SessionMap(decl: decl, id: nextMapID, kernelMap: kernelMap,
                             keyType: reader.valueType(ids.key), valueType: reader.valueType(ids.value))
        nextMapID += 1
        maps.append(map)
        return map
    }

    /// Adds a `c { }` block after checking it compiles with everything declared so far.
    func addCBlock(_ block: CodeBlock, cell: Int, range: SourceRange) throws {
        let runtime = try runtime()
        let code = UserCode(fileName: UserCode.cBlockFileName(cBlocks.count), block: block)
        cBlockCells.append(cell)
        defer { if cBlocks.count < cBlockCells.count { cBlockCells.removeLast() } }
        // The map unit checks the new block compiles on top of everything declared so far.
        let unit = CUnitBuilder.mapUnit(cBlocks: cBlocks + [code], maps: mapDefinitions)
        _ = try compile(unit, runtime: runtime, fallback: range, what: "the c block")
        cBlocks.append(code)
    }

    func contents(of map: SessionMap, selection: MapContents.Selection) throws -> MapContents {
        let entries = try map.kernelMap.readAll()
        snapshotStackProcesses()
        return MapContents.build(kind: map.decl.kind, keyType: map.keyType, valueType: map.valueType,
                                 entries: entries, selection: selection, stacks: stackSymbolizer())
    }

    /// A symbolizer over the session's stack map, once a probe has used stacks.
    func stackSymbolizer() -> StackResolver? {
        guard let stacks = channel?.stacks else { return nil }
        return StackSymbolizer(stackMap: stacks, kernel: kernelSymbols) { [weak self] pid in
            self?.processMaps[pid] ?? ProcessMaps(pid: pid)
        }
    }

    /// Reads the mappings of every process ustack() saw since the last look, while it
    /// still lives: a user stack must symbolize after its (often short-lived) process exits.
    func snapshotStackProcesses() {
        guard let pids = channel?.stackPIDs, let entries = try? pids.readAll() else { return }
        for entry in entries {
            let pid = entry.key.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            if processMaps[pid] == nil, let maps = ProcessMaps(pid: pid) { processMaps[pid] = maps }
        }
    }
}
