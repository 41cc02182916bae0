import Foundation

/// An ELF object ready for libbpf, and what it cost.
public struct CompiledObject: Sendable {
    public var elf: [UInt8]
    public var warnings: [ClangMessage]
    public var milliseconds: Double
    public var isFromCache: Bool
}

/// Turns generated units into BPF objects with clang, against a precompiled prelude
/// built once per kernel and compiler, and keeps every object it builds keyed by the
/// unit's text so the same probe typed again loads without compiling.
public final class ProbeCompiler {
    public let toolchain: ClangToolchain
    let headerDirectory: URL
    let objectDirectory: URL
    let scratchDirectory: URL
    private var scratchCounter = 0

    /// The kernel key identifies the BTF the headers were generated from.
    public init(toolchain: ClangToolchain, cacheRoot: URL, kernelKey: String, scratchDirectory: URL) {
        self.toolchain = toolchain
        let directory = Self.headerDirectory(cacheRoot: cacheRoot, kernelKey: kernelKey, toolchain: toolchain)
        headerDirectory = directory
        objectDirectory = directory.appendingPathComponent("objects")
        self.scratchDirectory = scratchDirectory
    }

    /// Headers and objects per kernel, compiler and prelude version.
    static func headerDirectory(cacheRoot: URL, kernelKey: String, toolchain: ClangToolchain) -> URL {
        var hash = StableHash()
        hash.add(toolchain.identity)
        return cacheRoot.appendingPathComponent("kernel-\(kernelKey)")
            .appendingPathComponent("clang-\(hash.hex)-prelude\(Prelude.version)")
    }

    /// The cached header files; the PCH refers to the other two, so all three or none.
    static let headerFiles = ["bpfsh_prelude.pch", "vmlinux.h", "bpfsh_prelude.h"]

    /// Whether `toolchain` already built the precompiled prelude for this kernel.
    static func hasWarmHeaders(cacheRoot: URL, kernelKey: String, toolchain: ClangToolchain) -> Bool {
        let directory = headerDirectory(cacheRoot: cacheRoot, kernelKey: kernelKey, toolchain: toolchain)
        return headerFiles.allSatisfy { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    }

    var precompiledHeader: URL { headerDirectory.appendingPathComponent("bpfsh_prelude.pch") }

    public var hasWarmHeaders: Bool {
        Self.headerFiles.allSatisfy { FileManager.default.fileExists(atPath: headerDirectory.appendingPathComponent($0).path) }
    }

    /// Builds vmlinux.h and the precompiled prelude if they are not cached yet.
    /// Returns the milliseconds spent (0 when warm).
    @discardableResult
    public func prepareHeaders(vmlinuxHeader: () throws -> String) throws -> Double {
        if hasWarmHeaders { return 0 }
        let start = DispatchTime.now()
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: objectDirectory, withIntermediateDirectories: true)
        // Sessions starting together on a cold cache: one builds, the others wait for it
        // and use its headers (rewriting vmlinux.h under a finished PCH would invalidate it).
        let lock = try CacheLock(directory: headerDirectory)
        defer { lock.release() }
        if hasWarmHeaders { return milliseconds(since: start) }
        let vmlinux = headerDirectory.appendingPathComponent("vmlinux.h")
        try vmlinuxHeader().write(to: vmlinux, atomically: true, encoding: .utf8)
        let prelude = headerDirectory.appendingPathComponent("bpfsh_prelude.h")
        try Prelude.text.write(to: prelude, atomically: true, encoding: .utf8)
        // Build under a private name and rename: a concurrent bpfsh never sees half a PCH.
        let partial = headerDirectory.appendingPathComponent("bpfsh_prelude.pch.\(getpid())")
        let outcome = try ProcessRunner.run(toolchain.path, toolchain.commonFlags + [
            "-I", headerDirectory.path, "-x", "c-header", prelude.path, "-o", partial.path,
        ])
        guard outcome.status == 0 else {
            try? fileManager.removeItem(at: partial)
            throw CompileFailure(messages: ClangMessage.parse(outcome.errors), output: outcome.errors)
        }
        // rename(2) replaces atomically; remove-then-move raced with a concurrent session.
        guard rename(partial.path, precompiledHeader.path) == 0 else {
            let code = errno
            try? fileManager.removeItem(at: partial)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: precompiledHeader.path,
                                                          NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)])
        }
        return milliseconds(since: start)
    }

    /// The content hash recorded next to a cached object.
    static func checksum(_ data: Data) -> String {
        var hash = StableHash()
        data.withUnsafeBytes { hash.add($0) }
        return "\(data.count):\(hash.hex)"
    }

    /// Writes a cache file under a private name and renames it into place (atomic; a
    /// failure only costs a later compile).
    static func install(_ data: Data, at url: URL) {
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid())")
        guard FileManager.default.createFile(atPath: partial.path, contents: data) else { return }
        if rename(partial.path, url.path) != 0 { try? FileManager.default.removeItem(at: partial) }
    }

    /// Throws the headers away (a truncated PCH or vmlinux.h); the next compile rebuilds them.
    /// Under the cache lock: a session rebuilding them must not lose its fresh headers to
    /// another session's discard (a PCH whose headers are gone is broken for everyone).
    public func discardHeaders() {
        let lock = try? CacheLock(directory: headerDirectory)
        defer { lock?.release() }
        for name in Self.headerFiles {
            try? FileManager.default.removeItem(at: headerDirectory.appendingPathComponent(name))
        }
    }

    /// Whether clang's complaint is about the cached headers rather than the unit: a fatal
    /// error about the PCH or the files it was built from ("malformed or corrupted
    /// precompiled file", "has been modified since the precompiled header was built", a
    /// truncated vmlinux.h). A user's error with a note inside the prelude is not one.
    static func blamesHeaders(_ output: String) -> Bool {
        output.split(separator: "\n").contains { line in
            line.contains("fatal error") && ["precompiled", "PCH", "AST file", "vmlinux.h", "bpfsh_prelude.h"].contains { line.contains($0) }
        }
    }

    public func compile(_ unit: GeneratedUnit) throws -> CompiledObject {
        let start = DispatchTime.now()
        var hash = StableHash()
        hash.add(unit.text)
        let cached = objectDirectory.appendingPathComponent("\(hash.hex).o")
        let checksum = objectDirectory.appendingPathComponent("\(hash.hex).sum")
        if let data = FileManager.default.contents(atPath: cached.path) {
            // An object is used only if it is what was written (a truncated or replaced
            // file is rebuilt, not loaded into the kernel).
            if let recorded = FileManager.default.contents(atPath: checksum.path),
               String(decoding: recorded, as: UTF8.self) == Self.checksum(data) {
                return CompiledObject(elf: [UInt8](data), warnings: [], milliseconds: milliseconds(since: start),
                                      isFromCache: true)
            }
            try? FileManager.default.removeItem(at: cached)
            try? FileManager.default.removeItem(at: checksum)
        }
        scratchCounter += 1
        let source = scratchDirectory.appendingPathComponent("unit\(scratchCounter).c")
        let object = scratchDirectory.appendingPathComponent("unit\(scratchCounter).o")
        try unit.text.write(to: source, atomically: false, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(at: source)
            try? FileManager.default.removeItem(at: object)
        }
        let outcome = try ProcessRunner.run(toolchain.path, toolchain.commonFlags + [
            "-I", headerDirectory.path, "-include-pch", precompiledHeader.path,
            "-c", source.path, "-o", object.path,
        ])
        let messages = ClangMessage.parse(outcome.errors)
        guard outcome.status == 0, let data = FileManager.default.contents(atPath: object.path) else {
            throw CompileFailure(messages: messages, output: outcome.errors)
        }
        // Keep the object for next time; a failed copy only costs a later compile.
        try? FileManager.default.createDirectory(at: objectDirectory, withIntermediateDirectories: true)
        Self.install(data, at: cached)
        Self.install(Data(Self.checksum(data).utf8), at: checksum)
        return CompiledObject(elf: [UInt8](data), warnings: messages.filter { $0.severity != .error },
                              milliseconds: milliseconds(since: start), isFromCache: false)
    }
}

func milliseconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
}
