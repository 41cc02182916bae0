import Foundation
import Testing

/// Every file in Tests/Cases/errors is a script with bad input. Its `# expect-error:`
/// lines must appear in what bpfsh reports, and its `# expect-output:` lines prove the
/// session carried on with everything intact. One test per file, so a failure names it.
@Suite(.serialized, .needsBPF)
struct ErrorCaseTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Cases/errors")

    static let cases: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".bpfsh") }.sorted()

    @Test func corpusIsPresent() {
        #expect(Self.cases.count >= 10, "no error cases found in \(Self.directory.path)")
    }

    @Test(arguments: cases)
    func badInput(_ name: String) throws {
        try Capabilities.requireBPF()
        let script = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        let leaks = LeakCheck(script: script)
        let expectations = script.split(separator: "\n").map(String.init)
        let errors = expectations.compactMap { $0.dropPrefix("# expect-error: ") }
        let outputs = expectations.compactMap { $0.dropPrefix("# expect-output: ") }
        #expect(!errors.isEmpty, "\(name) names no expected error")
        let result = try ShellProcess.run(script)
        for expected in errors {
            #expect(result.errors.contains(expected), "\(name): missing «\(expected)» in:\n\(result.errors)")
        }
        for expected in outputs {
            #expect(result.output.contains(expected), "\(name): missing «\(expected)» in:\n\(result.output)")
        }
        #expect(result.status == 1, "\(name): a session with errors exits 1 (got \(result.status))")
        #expect(!result.errors.contains("Fatal error"), "\(name) crashed")
        #expect(leaks.leftovers().isEmpty)
    }
}

extension String {
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
