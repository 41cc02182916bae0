import Foundation

/// The clang that compiles probes: `$BPFSH_CLANG`, else the newest clang on PATH
/// whose registered targets include BPF.
/// No usable clang: what is wrong and how to get one.
public struct ToolchainError: Error, Sendable {
    public var message: String
    public var hint: String?
}

public struct ClangToolchain: Sendable {
    public var path: String
    /// Distinguishes compilers for the caches (a PCH only loads in the clang that built it).
    public var identity: String

    /// `isProven` answers for a compiler that already built bpfsh's headers (so has the
    /// BPF target): it is taken without running `clang -print-targets`, which costs tens
    /// of milliseconds at every start.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              isProven: (ClangToolchain) -> Bool = { _ in false }) throws(ToolchainError) -> ClangToolchain {
        if let explicit = environment["BPFSH_CLANG"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw ToolchainError(message: "BPFSH_CLANG is set to '\(explicit)', which is not an executable file",
                                     hint: "unset it to use the newest clang on PATH")
            }
            let toolchain = ClangToolchain(path: explicit, identity: identity(of: explicit))
            guard isProven(toolchain) || hasBPFTarget(explicit) else {
                throw ToolchainError(message: "BPFSH_CLANG ('\(explicit)') has no BPF target",
                                     hint: "use Debian's clang (apt-get install clang-19)")
            }
            return toolchain
        }
        let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        var candidates: [(version: Int, path: String)] = []
        var listed = Set<FileSystemLookup.Identity>() // a directory on PATH twice, or /bin beside /usr/bin: once
        for directory in directories {
            guard let info = FileSystemLookup.status(of: directory), listed.insert(FileSystemLookup.Identity(info)).inserted,
                  let names = FileSystemLookup.names(in: directory, withPrefix: "clang") else { continue }
            for name in names where name == "clang" || name.hasPrefix("clang-") {
                let suffix = name.dropFirst("clang".count).dropFirst()
                let version = suffix.isEmpty ? 0 : (Int(suffix) ?? -1)
                let path = directory + "/" + name
                if version >= 0, FileManager.default.isExecutableFile(atPath: path) {
                    candidates.append((version, path))
                }
            }
        }
        // Newest first; an unversioned `clang` is tried last, it is usually an alias.
        for candidate in candidates.sorted(by: { $0.version > $1.version }) {
            let toolchain = ClangToolchain(path: candidate.path, identity: identity(of: candidate.path))
            if isProven(toolchain) || hasBPFTarget(candidate.path) { return toolchain }
        }
        throw ToolchainError(message: "no clang with the BPF target was found on PATH",
                             hint: "install one with: apt-get install clang-19   (or set BPFSH_CLANG=/path/to/clang)")
    }

    static func hasBPFTarget(_ path: String) -> Bool {
        guard let outcome = try? ProcessRunner.run(path, ["-print-targets"]), outcome.status == 0 else { return false }
        return outcome.output.contains("bpf ")
    }

    static func identity(of path: String) -> String {
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? path
        // stat(2) follows every link to the compiler itself.
        let info = FileSystemLookup.status(of: path)
        return "\(path)|\(resolved)|\(info.map { Int($0.st_size) } ?? 0)|\(info.map { Int($0.st_mtim.tv_sec) } ?? 0)"
    }

    /// Flags shared by the precompiled header and every unit: they must match exactly.
    var commonFlags: [String] {
        // -fno-delete-null-pointer-checks: a NULL dereference stays a load or store the
        // verifier names ("invalid mem access"), instead of undefined behaviour clang
        // outlines into an unloadable "bpfsh_probe.cold.1" (the kernel builds with it too).
        ["-target", "bpf", "-O2", "-g", "-D__TARGET_ARCH_x86", "-fno-color-diagnostics", "-fno-delete-null-pointer-checks",
         "-Wno-unused-variable", "-Wno-unused-function", "-Wno-compare-distinct-pointer-types",
         "-Wno-gnu-variable-sized-type-not-at-end", "-Wno-address-of-packed-member",
         "-idirafter", "/usr/include"] + Self.multiarchIncludes
    }

    /// libbpf's usdt.bpf.h includes <linux/errno.h>, whose <asm/errno.h> lives in the
    /// multiarch directory that a -target bpf compile does not search by itself.
    static let multiarchIncludes: [String] = ["x86_64-linux-gnu", "aarch64-linux-gnu"]
        .map { "/usr/include/" + $0 }
        .filter { FileManager.default.fileExists(atPath: $0 + "/asm/errno.h") }
        .flatMap { ["-idirafter", $0] }
}

/// A stable 64-bit FNV-1a hash for cache keys (not for security).
public struct StableHash {
    private(set) var value: UInt64 = 0xcbf29ce484222325

    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        // Eight bytes a step: the kernel's BTF (megabytes) is hashed at every start.
        let words = bytes.count / 8
        for index in 0..<words {
            hash ^= bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
            hash &*= 0x100000001b3
        }
        for byte in bytes[(words * 8)...] {
            hash ^= UInt64(byte)
            hash &*= 0x100000001b3
        }
        value = hash
    }

    public mutating func add(_ text: String) {
        var copy = text
        copy.withUTF8 { add(UnsafeRawBufferPointer($0)) }
        // A separator, so ("ab", "c") and ("a", "bc") hash differently.
        value = (value ^ 0xff) &* 0x100000001b3
    }

    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
