import Foundation

/// The session answers completion's questions from what it knows and what the kernel
/// exposes; lists that are expensive to read are cached for the session.
final class SessionCompletionSource: CompletionSource {
    private unowned let session: Session
    private var cachedKernelFunctions: [String]?
    private var cachedBTFTracepoints: [String]?
    private var symbolsByBinary: [String: [String]] = [:]
    private var usdtByBinary: [String: [String]] = [:]

    init(session: Session) {
        self.session = session
    }

    var commandNames: [String] { CommandRegistry.names }
    var mapNames: [String] { session.mapNames }
    var probeNames: [String] { session.probeNames }

    var snippetNames: [String] {
        SessionFile.snippetDirectories().flatMap { directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasSuffix(".bpfsh") }.map { String($0.dropLast(".bpfsh".count)) }
        }
    }

    private var tracefs: TracepointCatalog? { try? session.backend.tracepoints() }

    /// The kernel's BTF once the background start-up that reads it has finished
    /// (KernelBTF is not shared between threads).
    private var btf: KernelBTF? { session.runtimeLoader.builtRuntime == nil ? nil : session.backend.btf }

    func tracepointCategories() -> [String] { tracefs?.categories() ?? [] }

    func tracepointFields(category: String, event: String) -> [String] {
        (tracefs?.format(category: category, event: event)?.fields ?? []).map(\.name).filter { !$0.hasPrefix("common_") }
    }

    var helperNames: [String] { HelperDocumentation.names }

    func tracepointEvents(in category: String) -> [String] { tracefs?.events(in: category) ?? [] }

    func btfTracepoints() -> [String] {
        if let cachedBTFTracepoints { return cachedBTFTracepoints }
        guard let btf else { return [] }
        let names = ((try? btf.tracepointNames()) ?? []).sorted()
        cachedBTFTracepoints = names
        return names
    }

    /// available_filter_functions when tracefs exposes it (what kprobes accept), else BTF.
    func kernelFunctions() -> [String] {
        if let cachedKernelFunctions { return cachedKernelFunctions }
        var names: [String] = []
        if let root = (tracefs as? Tracefs)?.eventsDirectory.replacingOccurrences(of: "/events", with: ""),
           let text = KernelFile.read(root + "/available_filter_functions") {
            names = text.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        }
        if names.isEmpty {
            guard let btf else { return [] }
            names = (try? btf.functionNames()) ?? []
        }
        let unique = Array(Set(names)).sorted()
        cachedKernelFunctions = unique
        return unique
    }

    func functionSymbols(inBinary path: String) -> [String] {
        if let cached = symbolsByBinary[path] { return cached }
        let names = BinaryLocator.resolve(path).flatMap { ELFFile(path: $0) }?.functionNames() ?? []
        symbolsByBinary[path] = names
        return names
    }

    func usdtProbes(inBinary path: String) -> [String] {
        if let cached = usdtByBinary[path] { return cached }
        let probes = BinaryLocator.resolve(path).flatMap { ELFFile(path: $0) }?.usdtProbes()
            .map { "\($0.provider):\($0.name)" } ?? []
        usdtByBinary[path] = Array(Set(probes)).sorted()
        return usdtByBinary[path] ?? []
    }
}
