import Foundation

extension Session {
    /// Creates a session map: a unit that declares only it is compiled, and the backend
    /// creates the map from it (its BTF types the key and value); a dry run plans it.
    func declareMap(_ decl: MapDecl, range: SourceRange?) throws -> SessionMap {
        if let existing = map(named: decl.name) {
            throw Diagnostic(.error, "a map named '\(decl.name)' already exists (\(existing.decl.kind.description))",
                             at: decl.nameRange,
                             hints: ["empty it with 'clear \(decl.name)', or choose another name"])
        }
        if probes.contains(where: { $0.name == decl.name }) {
            throw Diagnostic.error("'\(decl.name)' is already a probe's name; a map needs another", at: decl.nameRange,
                                   hint: "drop and show take either a probe or a map by name")
        }
        guard nextMapID < Prelude.counterSlots - Prelude.firstMapErrorSlot else {
            throw Diagnostic.error("this session has declared too many maps", at: decl.nameRange)
        }
        let runtime = try runtime()
        let definition = MapDefinition(decl: decl, id: nextMapID)
        let unit = CUnitBuilder.mapUnit(cBlocks: cBlocks, maps: [definition], stringLength: stringLength)
        let compiled = try compile(unit, runtime: runtime, fallback: range, what: "map '\(decl.name)'")
        let created = try withKernelErrors(at: range) {
            try backend.createMap(named: decl.name, id: nextMapID, fold: decl.kind.family.isStats ? .stats : .sumCounters,
                                  memoryLimit: mapMemoryLimit, from: CompiledImage(elf: compiled.elf, name: "bpfsh_m_\(decl.name)"))
        }
        let map = SessionMap(decl: decl, id: nextMapID, created: created)
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
        let unit = CUnitBuilder.mapUnit(cBlocks: cBlocks + [code], maps: maps.map(\.definition), stringLength: stringLength)
        _ = try compile(unit, runtime: runtime, fallback: range, what: "the c block")
        cBlocks.append(code)
    }

    /// What `print` shows of a map: a counter map of more than `LargeTable.threshold`
    /// keys streamed (not in notebooks, which show tables), anything else whole. A full
    /// print of a counter map reads it once, flat, whichever way it is then shown.
    enum Printed {
        case streamed(LargeTable)
        case whole(MapContents)
    }

    func printed(_ map: SessionMap, selection: MapContents.Selection) throws -> Printed {
        guard selection.limit == nil, map.decl.kind.holdsCounters else { return .whole(try contents(of: map, selection: selection)) }
        let counters = try withKernelErrors(at: nil) { () throws -> FlatCounters in try backend.counters(of: map.handle) }
        if counters.count > LargeTable.threshold, presenter.richDisplay == nil,
           let table = LargeTable(name: map.decl.name, valueLabel: map.decl.kind.valueLabel, keyType: map.keyType,
                                  counters: counters, byKey: selection.order == .keyAscending) {
            return .streamed(table)
        }
        let entries = (0..<counters.count).map { index in
            RawEntry(key: Array(counters.key(at: index)), value: withUnsafeBytes(of: counters.values[index].littleEndian) { Array($0) })
        }
        return .whole(shaped(map, entries: entries, selection: selection))
    }

    func contents(of map: SessionMap, selection: MapContents.Selection) throws -> MapContents {
        // A top N of counters is chosen while reading: a million keys never become rows.
        let countsByValue = map.decl.kind.holdsCounters
        let entries = try withKernelErrors(at: nil) { () throws -> [RawEntry] in
            if let limit = selection.limit, selection.order == .valueDescending, countsByValue {
                return try backend.topEntries(of: map.handle, limit: limit)
            }
            return try backend.entries(of: map.handle)
        }
        return shaped(map, entries: entries, selection: selection)
    }

    private func shaped(_ map: SessionMap, entries: [RawEntry], selection: MapContents.Selection) -> MapContents {
        snapshotStackProcesses()
        return MapContents.build(kind: map.decl.kind, keyType: map.keyType, valueType: map.valueType,
                                 entries: entries, selection: selection, stacks: stackSymbolizer())
    }

    /// Symbolizes stacks the session's probes recorded.
    func stackSymbolizer() -> StackResolver {
        StackSymbolizer(addresses: { [backend] id in backend.stackAddresses(id: id) }, kernel: kernelSymbols,
                        files: binarySymbols, pointLabels: pointLabels, keepsTracingFrames: stackFrames == .all) { [weak self] pid in
            self?.processMaps[pid] ?? ProcessMaps(pid: pid)
        }
    }

    /// Reads the mappings of every process ustack() saw since the last look, while it
    /// still lives: a user stack must symbolize after its (often short-lived) process exits.
    func snapshotStackProcesses() {
        for pid in backend.stackProcessIDs() where processMaps[pid] == nil {
            if let maps = ProcessMaps(pid: pid) { processMaps[pid] = maps }
        }
    }
}
