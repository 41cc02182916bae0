import Foundation

/// What compiling needs before the first map or probe: a compiler with warm headers
/// generated from the kernel's BTF. Built on a background thread at start-up so the
/// prompt appears at once; nothing here creates kernel objects.
final class Runtime {
    let compiler: ProbeCompiler
    let scratchDirectory: URL
    /// Milliseconds spent generating vmlinux.h and the precompiled prelude (0 when cached).
    let headerMilliseconds: Double

    init(cacheRoot: URL, btf: KernelBTF) throws {
        let kernelKey = try KernelBTF.identity(cacheRoot: cacheRoot)
        let toolchain = try ClangToolchain.locate { candidate in
            ProbeCompiler.hasWarmHeaders(cacheRoot: cacheRoot, kernelKey: kernelKey, toolchain: candidate)
        }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("bpfsh-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        scratchDirectory = scratch
        compiler = ProbeCompiler(toolchain: toolchain, cacheRoot: cacheRoot, kernelKey: kernelKey,
                                 scratchDirectory: scratch)
        do {
            headerMilliseconds = try compiler.prepareHeaders { try btf.vmlinuxHeader() }
        } catch {
            try? FileManager.default.removeItem(at: scratch)
            throw error
        }
    }

    func close() {
        try? FileManager.default.removeItem(at: scratchDirectory)
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
