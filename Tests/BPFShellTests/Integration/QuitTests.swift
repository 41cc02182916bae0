import Foundation
import Testing
@testable import BPFShell

/// Quitting with many probes returns at once: the programs stop in the kernel first,
/// and the kernel's slow release of their events (one grace period each, one after
/// another) happens in a holder process after bpfsh has gone.
@Suite(.serialized, .needsBPF)
struct QuitTests {
    /// The time from `quit` to the process's exit, with `setup` attached first.
    private func quitTime(after setup: [String], attached: Int) throws -> (seconds: Double, shell: ShellProcess) {
        let shell = try ShellProcess(timeout: 120)
        setup.forEach(shell.send)
        #expect(shell.waitForOutput("attached", occurrences: attached, timeout: 60), "\(shell.errors)")
        shell.send("quit")
        let start = Date()
        let status = shell.finish(timeout: 30)
        let elapsed = Date().timeIntervalSince(start)
        #expect(status == 0, "\(shell.errors)")
        return (elapsed, shell)
    }

    @Test func quitWithTwentyProbesAndAWildcardOver360PointsIsQuick() throws {
        try Capabilities.requireBPF()
        let leaks = LeakCheck()
        let events = try FileManager.default.contentsOfDirectory(atPath: "/sys/kernel/tracing/events/syscalls")
            .filter { $0.hasPrefix("sys_enter_") }.sorted().prefix(20)
        let twenty = try quitTime(after: events.map { "probe tracepoint:syscalls:\($0) { }" }, attached: 20)
        #expect(twenty.seconds < 1.0, "quit with 20 probes took \(twenty.seconds) s")

        let wildcard = try quitTime(after: ["probe tracepoint:syscalls:sys_enter_* { }"], attached: 1)
        #expect(wildcard.shell.output.contains("programs) in"), "\(wildcard.shell.output)")
        #expect(wildcard.seconds < 1.0, "quit with a 360-point wildcard took \(wildcard.seconds) s")
        // The holder releases everything soon after (about 40 ms per event).
        #expect(leaks.leftovers(waiting: 90).isEmpty, "every program and map is gone once the holder has finished")
    }
}
