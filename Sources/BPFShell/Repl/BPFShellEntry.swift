import CShim
import Foundation

/// Process-wide set-up the executable does once, before any session.
public enum BPFShellEntry {
    public static func installProcessHandlers() {
        bpfsh_signals_install()
        LibBPF.installLogCapture()
    }

    /// History lives in the user's data directory, shared by every session.
    public static func historyPath() -> String? {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_DATA_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".local/share")
        let directory = base.appendingPathComponent("bpfsh")
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil else { return nil }
        return directory.appendingPathComponent("history").path
    }
}
