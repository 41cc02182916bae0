import Foundation
import Testing

/// Every snippet in bpf-snippets/ does its job: bpf-snippets/CHECKS.tsv names, per
/// snippet, a workload, the commands to run after `load`, and a text the output must show
/// (the counted comm, the opened file, a histogram).
@Suite(.serialized, .needsBPF)
struct SnippetCheckTests {
    struct Check: CustomStringConvertible, Sendable {
        var snippet: String
        var workload: String
        var commands: [String]
        var expect: String
        var description: String { snippet }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let checks: [Check] = {
        let path = root.appendingPathComponent("bpf-snippets/CHECKS.tsv").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4 else { return nil }
            return Check(snippet: fields[0], workload: fields[1],
                         commands: fields[2].components(separatedBy: "; ").filter { !$0.isEmpty }, expect: fields[3])
        }
    }()

    @Test func everySnippetHasACheck() throws {
        let snippets = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("bpf-snippets").path)
            .filter { $0.hasSuffix(".bpfsh") }.map { String($0.dropLast(".bpfsh".count)) }
        #expect(snippets.count >= 30)
        #expect(Set(snippets).subtracting(Self.checks.map(\.snippet)).isEmpty, "snippets without a check")
    }

    @Test(arguments: checks)
    func snippetShowsWhatItShould(_ check: Check) throws {
        try Capabilities.requireBPF()
        let shell = try ShellProcess(environment: ["BPFSH_SNIPPETS": Self.root.appendingPathComponent("bpf-snippets").path],
                                     timeout: 120)
        shell.send("load \(check.snippet)")
        #expect(shell.waitForOutput("attached", timeout: 60), "\(check.snippet): \(shell.errors)")
        let workload = Thread {
            usleep(700_000) // while the first run of the commands is under way
            _ = try? TimedProcess.run("/bin/sh", ["-c", check.workload], timeout: 30)
        }
        workload.start()
        check.commands.forEach(shell.send)
        _ = shell.finish(timeout: 90)
        let errors = shell.errors.split(separator: "\n").filter {
            $0.range(of: #"^\S+:\d+:\d+(-\d+)?: error:"#, options: .regularExpression) != nil
        }
        #expect(errors.isEmpty, "\(check.snippet): \(errors)")
        #expect(shell.output.contains(check.expect), "\(check.snippet): «\(check.expect)» not in:\n\(shell.output.suffix(2500))")
    }
}
