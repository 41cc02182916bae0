import Foundation

/// What compiling needs before the first map or probe: a compiler with warm headers
/// generated from the kernel's BTF. Built on a background thread at start-up so the
/// prompt appears at once; nothing here creates kernel objects.
final class Runtime {
    let compiler: ProbeCompiler
    let scratchDirectory: URL
    /// Milliseconds spent generating vmlinux.h and the precompiled prelude (0 when cached).
    let headerMilliseconds: Double
    private let btf: KernelBTF
    /// Why the cache directory asked for was not used (said once to the user).
    let cacheWarning: String?
    /// The session's own cache when the shared one could not be trusted.
    private let privateCache: URL?

    init(cacheRoot requestedCache: URL, btf: KernelBTF) throws {
        self.btf = btf
        let cache = CacheDirectory(requested: requestedCache)
        cacheWarning = cache.warning
        privateCache = cache.isPrivate ? cache.url : nil
        let cacheRoot = cache.url
        let kernelKey = try KernelBTF.identity(cacheRoot: cacheRoot)
        let toolchain = try ClangToolchain.locate { candidate in
            ProbeCompiler.hasWarmHeaders(cacheRoot: cacheRoot, kernelKey: kernelKey, toolchain: candidate)
        }
        let scratch = try CacheDirectory.scratch()
        scratchDirectory = scratch
        compiler = ProbeCompiler(toolchain: toolchain, cacheRoot: cacheRoot, kernelKey: kernelKey,
                                 scratchDirectory: scratch)
        do {
            headerMilliseconds = try compiler.prepareHeaders { try btf.vmlinuxHeader() }
        } catch {
            try? FileManager.default.removeItem(at: scratch)
            if cache.isPrivate { try? FileManager.default.removeItem(at: cacheRoot) }
            throw error
        }
    }

    /// Compiles a unit; when clang blames the cached headers (a truncated PCH or
    /// vmlinux.h), they are rebuilt once and the unit compiled again.
    func compile(_ unit: GeneratedUnit) throws -> CompiledObject {
        do {
            return try compiler.compile(unit)
        } catch let failure as CompileFailure where ProbeCompiler.blamesHeaders(failure.output) {
            compiler.discardHeaders()
            try compiler.prepareHeaders { try btf.vmlinuxHeader() }
            return try compiler.compile(unit)
        }
    }

    func close() {
        try? FileManager.default.removeItem(at: scratchDirectory)
        if let privateCache { try? FileManager.default.removeItem(at: privateCache) }
    }
}

/// Builds the runtime in the background and hands it over on first use.
final class RuntimeLoader {
    private let cacheRoot: URL
    private let btf: KernelBTF
    private var result: Result<Runtime, Error>?
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    init(cacheRoot: URL, btf: KernelBTF) {
        self.cacheRoot = cacheRoot
        self.btf = btf
    }

    func startInBackground() {
        guard !started else { return }
        started = true
        let (cacheRoot, btf) = (cacheRoot, btf)
        Thread { [self] in
            result = Result { try Runtime(cacheRoot: cacheRoot, btf: btf) }
            done.signal()
        }.start()
    }

    /// Waits for the background build; a failure is reported and tried again next time
    /// (the user may install clang or mount tracefs in between).
    func get() throws -> Runtime {
        startInBackground()
        done.wait()
        switch result {
        case let .success(runtime):
            done.signal() // later callers return at once
            return runtime
        case let .failure(error):
            started = false
            result = nil
            throw error
        case nil:
            preconditionFailure("the runtime build signalled without a result")
        }
    }

    /// The runtime if it was built, without waiting or building.
    var builtRuntime: Runtime? {
        if case let .success(runtime) = result { return runtime }
        return nil
    }

    /// Waits for a build under way (so teardown never races it).
    func settle() {
        guard started else { return }
        done.wait()
        done.signal()
    }
}
