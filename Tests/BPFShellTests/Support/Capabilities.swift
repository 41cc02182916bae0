import Foundation
import Testing

/// What the machine running the tests can do. Integration tests skip loudly without
/// BPF outside CI; under CI=true a missing capability fails them instead.
enum Capabilities {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    static let missingBPF: String? = {
        if geteuid() != 0 { return "integration tests need root (CAP_BPF, CAP_PERFMON): run as root" }
        if !FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") {
            return "the kernel exposes no BTF at /sys/kernel/btf/vmlinux"
        }
        if !["/usr/sbin/bpftool", "/usr/bin/bpftool", "/sbin/bpftool"].contains(where: FileManager.default.isExecutableFile) {
            return "bpftool is not installed (the leak checks need it): make test installs it"
        }
        if !FileManager.default.isExecutableFile(atPath: ShellProcess.binaryPath) {
            return "the bpfsh binary is not built at \(ShellProcess.binaryPath)"
        }
        return nil
    }()

    /// Enabled when BPF works, and always under CI (where the test then fails with the reason).
    static var bpfAvailableOrCI: Bool { missingBPF == nil || isCI }

    /// Call first in every integration test.
    static func requireBPF() throws {
        if let reason = missingBPF {
            Issue.record("CI=true but this machine cannot run BPF: \(reason)")
            throw SkipUnderCI()
        }
    }

    struct SkipUnderCI: Error {}
}

extension Trait where Self == ConditionTrait {
    /// Skips with a reason outside CI when the kernel or privileges are missing.
    static var needsBPF: Self {
        .enabled(if: Capabilities.bpfAvailableOrCI,
                 Comment(rawValue: "skipped: \(Capabilities.missingBPF ?? "") (set CI=true to make this a failure)"))
    }
}
