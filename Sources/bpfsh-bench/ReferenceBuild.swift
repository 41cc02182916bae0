import Foundation
import ProcessKit

/// The C programs the benchmark runs: the libbpf references and the workloads, built
/// into bench/out/ from bench/*.c when missing or older than their sources.
struct ReferenceBuild {
    let settings: BenchSettings
    let log: BenchLog

    /// Paths of what was built.
    struct Programs {
        let ref, refPrint, getppidLoop, getppidRate, ustackProcs: String
    }

    struct BuildError: Error, CustomStringConvertible {
        let description: String
    }

    func buildAll() throws -> Programs {
        let out = settings.out
        let src = settings.bench
        try vmlinuxHeader()
        let bpfFlags = ["-target", "bpf", "-O2", "-g", "-D__TARGET_ARCH_x86", "-I" + out, "-c"]
        try make(out + "/ref.bpf.o", from: [src + "/ref.bpf.c", out + "/vmlinux.h"],
                 "clang-19", bpfFlags + [src + "/ref.bpf.c", "-o", out + "/ref.bpf.o"])
        try make(out + "/ref_print.bpf.o", from: [src + "/ref_print.bpf.c", out + "/vmlinux.h"],
                 "clang-19", bpfFlags + [src + "/ref_print.bpf.c", "-o", out + "/ref_print.bpf.o"])
        // The loaders open NAME.bpf.o next to themselves at run time.
        for (name, library) in [("ref", true), ("ref_print", true), ("getppid_loop", false), ("getppid_rate", false)] {
            try make(out + "/" + name, from: [src + "/" + name + ".c"],
                     "gcc", ["-O2", "-Wall", "-o", out + "/" + name, src + "/" + name + ".c"] + (library ? ["-lbpf"] : []))
        }
        // Frame pointers in every function, none inlined: the kernel walks user stacks by
        // frame pointers, and each chain of calls must stay whole.
        try make(out + "/ustack_procs", from: [src + "/ustack_procs.c"],
                 "gcc", ["-O0", "-fno-omit-frame-pointer", "-Wall", "-o", out + "/ustack_procs", src + "/ustack_procs.c"])
        return Programs(ref: out + "/ref", refPrint: out + "/ref_print",
                        getppidLoop: out + "/getppid_loop", getppidRate: out + "/getppid_rate",
                        ustackProcs: out + "/ustack_procs")
    }

    /// vmlinux.h from the running kernel's BTF; regenerated when the kernel changes
    /// (the stamp is the BTF file's size and mtime plus the release).
    private func vmlinuxHeader() throws {
        let btf = "/sys/kernel/btf/vmlinux"
        let header = settings.out + "/vmlinux.h"
        let stampFile = header + ".stamp"
        let attributes = try? FileManager.default.attributesOfItem(atPath: btf)
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let stamp = "\(attributes?[.size] ?? 0) \((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0) \(release)"
        if FileManager.default.fileExists(atPath: header),
           (try? String(contentsOfFile: stampFile, encoding: .utf8)) == stamp { return }
        log.say("build: vmlinux.h from \(btf)")
        let result = try Subprocess.run("bpftool", ["btf", "dump", "file", btf, "format", "c"], timeout: 120)
        guard result.succeeded, !result.output.isEmpty else {
            throw BuildError(description: "bpftool btf dump failed: \(result.errors)")
        }
        try result.output.write(toFile: header, atomically: true, encoding: .utf8)
        try stamp.write(toFile: stampFile, atomically: true, encoding: .utf8)
    }

    private func make(_ target: String, from sources: [String], _ tool: String, _ arguments: [String]) throws {
        func modified(_ path: String) -> Date? {
            (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        }
        if let built = modified(target), sources.allSatisfy({ (modified($0) ?? .distantFuture) <= built }) { return }
        log.say("build: " + (target as NSString).lastPathComponent)
        let result = try Subprocess.run(tool, arguments, timeout: 300)
        log.log(result.output + result.errors)
        guard result.succeeded else {
            throw BuildError(description: "\(tool) \(arguments.joined(separator: " ")) failed:\n\(result.errors)")
        }
    }
}
