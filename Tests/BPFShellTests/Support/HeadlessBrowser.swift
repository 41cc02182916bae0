import Foundation
import Testing
@testable import BPFShell

/// Debian's chromium, headless, for tests of what bpfsh writes for browsers (flame graphs).
/// Every run has a deadline and a throwaway profile directory, removed afterwards.
struct HeadlessBrowser {
    static let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]

    static let installed: String? = candidates.first(where: FileManager.default.isExecutableFile)

    static var missingReason: String? {
        installed == nil ? "no headless browser (\(candidates.joined(separator: ", "))): apt-get install -y chromium" : nil
    }

    /// Enabled when a browser is installed, and always under CI (where the test then fails).
    static var availableOrCI: Bool { installed != nil || Capabilities.isCI }

    /// Call first in every browser test: under CI=true a missing browser is a failure, not a skip.
    static func require() throws -> HeadlessBrowser {
        guard let path = installed else {
            Issue.record("CI=true but this machine has no browser: \(missingReason ?? "")")
            throw Capabilities.SkipUnderCI()
        }
        return HeadlessBrowser(executable: path)
    }

    let executable: String
    var timeout: TimeInterval = 60

    /// The document as the page's scripts left it.
    func dumpDOM(_ url: URL) throws -> String {
        // The budget lets timers and image loads settle before the dump.
        try run(["--virtual-time-budget=5000", "--dump-dom", url.absoluteString]).output
    }

    func screenshot(_ url: URL, to file: URL, width: Int, height: Int) throws -> TimedProcess.Result {
        try run(["--screenshot=\(file.path)", "--window-size=\(width),\(height)", "--hide-scrollbars", url.absoluteString])
    }

    private func run(_ arguments: [String]) throws -> TimedProcess.Result {
        let profile = try CacheDirectory.scratch()
        defer { try? FileManager.default.removeItem(at: profile) }
        // Root cannot use chromium's sandbox; there is no display and no GPU here.
        return try TimedProcess.run(executable, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                                 "--user-data-dir=\(profile.path)"] + arguments, timeout: timeout)
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips with a reason outside CI when no headless browser is installed.
    static var needsBrowser: Self {
        .enabled(if: HeadlessBrowser.availableOrCI,
                 Comment(rawValue: "skipped: \(HeadlessBrowser.missingReason ?? "") (set CI=true to make this a failure)"))
    }
}
