import Foundation
import Testing
@testable import BPFShell

/// The bad-input corpus (Tests/Cases/errors) against the fake backend: every parse-
/// and compile-level case gives its diagnostics with no kernel and no root. Cases
/// marked `# needs: kernel` (the verifier's) run only in ErrorCaseTests.
@Suite(.serialized)
struct ErrorCorpusWithoutKernelTests {
    static let cases = ErrorCaseTests.cases.filter { name in
        let text = (try? String(contentsOf: ErrorCaseTests.directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
        return !text.contains("\n# needs: kernel")
    }

    @Test func mostCasesNeedNoKernel() {
        #expect(Self.cases.count >= 10, "\(Self.cases)")
    }

    @Test(arguments: cases)
    func badInputWithoutKernel(_ name: String) throws {
        let script = try String(contentsOf: ErrorCaseTests.directory.appendingPathComponent(name), encoding: .utf8)
        let output = CapturedOutput()
        let backend = FakeBackend()
        let session = Session(configuration: .init(cacheRoot: Self.cacheRoot), output: output, backend: backend)
        defer { session.close() }
        var gatherer = CommandGatherer()
        var anyFailed = false
        for (index, line) in script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let chunk = gatherer.add(String(line), lineNumber: index + 1), !session.execute(chunk) { anyFailed = true }
        }
        if let unclosed = gatherer.finish(), !session.execute(unclosed) { anyFailed = true }
        #expect(anyFailed, "\(name): no command failed")
        for expected in script.split(separator: "\n").compactMap({ String($0).dropPrefix("# expect-error: ") }) {
            #expect(output.errors.contains(expected), "\(name): missing «\(expected)» in:\n\(output.errors)")
        }
        for expected in script.split(separator: "\n").compactMap({ String($0).dropPrefix("# expect-output: ") }) {
            #expect(output.text.contains(expected), "\(name): missing «\(expected)» in:\n\(output.text)")
        }
        #expect(!output.errors.contains("internal error"), "\(name): \(output.errors)")
    }

    /// Where compiled headers go: the user's cache, or a private one for a user without a home.
    static let cacheRoot: URL = {
        if let explicit = ProcessInfo.processInfo.environment["BPFSH_TEST_CACHE"] { return URL(fileURLWithPath: explicit) }
        return Session.defaultCacheRoot()
    }()

    /// Run as root (make test), the corpus runs again as `nobody`: the test binary itself,
    /// filtered to this suite, proves no case needs a privilege.
    @Test func corpusRunsAsAnUnprivilegedUser() throws {
        guard geteuid() == 0 else { return } // already unprivileged: the cases above are the proof
        let testBinary = CommandLine.arguments[0]
        guard testBinary.hasSuffix(".xctest"), FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            Issue.record("cannot re-run \(testBinary) as nobody (needs the .xctest binary and setpriv)")
            return
        }
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("bpfsh-nobody-\(getpid())")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: cache) }
        _ = chown(cache.path, 65534, 65534)
        let result = try TimedProcess.run("/usr/bin/setpriv", [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/env",
            "HOME=\(cache.path)", "BPFSH_TEST_CACHE=\(cache.path)", "PATH=\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")",
            testBinary, "--testing-library", "swift-testing", "--filter", "ErrorCorpusWithoutKernelTests/badInputWithoutKernel",
        ], timeout: 300)
        #expect(result.status == 0, "as nobody:\n\(result.output.suffix(4000))")
        #expect(result.output.contains("passed"), "\(result.output.suffix(2000))")
    }
}
