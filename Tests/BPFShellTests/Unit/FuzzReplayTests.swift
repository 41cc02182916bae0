import Foundation
import Testing
@testable import BPFShell

/// What the fuzzer found (Tests/Cases/fuzz) and every script and error case, replayed
/// through the same front end `make fuzz` drives: each must end in commands or
/// diagnostics, quickly.
struct FuzzReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let inputs: [String] = ["Tests/Cases/fuzz", "Tests/Cases/errors", "sessions", "bpf-snippets"].flatMap { folder in
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? [])
            .sorted().map { "\(folder)/\($0)" }
            .filter { (try? root.appendingPathComponent($0).resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }

    @Test func corpusIsThere() {
        #expect(Self.inputs.contains { $0.hasPrefix("Tests/Cases/fuzz/") && $0.hasSuffix(".bpfsh") })
    }

    @Test(arguments: inputs)
    func replays(_ path: String) throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent(path))
        let start = Date()
        data.withUnsafeBytes { ParserFuzzing.run($0) }
        #expect(Date().timeIntervalSince(start) < 5, "\(path) took too long")
    }

    /// A few shapes the fuzzer favours, built here: deep nesting, long words, NULs.
    @Test func hostileShapesEndInDiagnostics() {
        let inputs = [String(repeating: "{", count: 10_000), String(repeating: "probe ", count: 5_000),
                      "map " + String(repeating: "<", count: 5_000), "\0\0\0 print \0", String(repeating: "a,", count: 20_000)]
        for input in inputs {
            Array(input.utf8).withUnsafeBytes { ParserFuzzing.run($0) }
        }
    }
}
