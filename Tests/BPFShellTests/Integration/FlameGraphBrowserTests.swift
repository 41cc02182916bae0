import Foundation
import Testing
@testable import BPFShell

/// Flame graphs in a real browser: they draw, and search, zoom and hover work, driven through
/// the URL query and read back from the DOM the page's script leaves behind.
@Suite(.serialized, .needsBrowser)
struct FlameGraphBrowserTests {
    static let stacks = [
        FoldedStack(frames: [FlameFrame("bash", kind: .process), FlameFrame("main", kind: .user),
                             FlameFrame("read_line", kind: .user), FlameFrame("vfs_read", kind: .kernel)], count: 30),
        FoldedStack(frames: [FlameFrame("bash", kind: .process), FlameFrame("main", kind: .user), FlameFrame("execute", kind: .user),
                             FlameFrame("vfs_read", kind: .kernel), FlameFrame("vfs_read", kind: .kernel)], count: 20),
        FoldedStack(frames: [FlameFrame("bash", kind: .process), FlameFrame("main", kind: .user), FlameFrame("execute", kind: .user)], count: 10),
        FoldedStack(frames: [FlameFrame("<script>alert(1)</script>", kind: .process), FlameFrame("a;b \"q\" & y", kind: .user)], count: 37),
        FoldedStack(frames: [FlameFrame("cron", kind: .process), FlameFrame("vfs_write", kind: .kernel)], count: 3),
    ]

    static func write(_ svg: String, named name: String, in directory: URL) throws -> URL {
        let file = directory.appendingPathComponent(name)
        try svg.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// `file://…?query`: URL(string:) keeps the query exactly as written (';' and '%' included).
    static func url(_ file: URL, query: String) throws -> URL {
        try #require(URL(string: file.absoluteString + "?" + query))
    }

    /// The element carrying `marker` (an id, an attribute, a title) in a DOM dump: a frame's whole
    /// <g>, or another element up to its closing tag.
    static func element(_ marker: String, in dom: String) -> String? {
        guard let range = dom.range(of: marker) else { return nil }
        var start = dom[..<range.lowerBound].lastIndex(of: "<") ?? range.lowerBound
        if marker.hasPrefix("<title>"), let group = dom[..<range.lowerBound].range(of: "<g", options: .backwards) {
            start = group.lowerBound
        }
        let end = dom[start...].hasPrefix("<g") ? "</g>" : "</"
        return dom[start...].components(separatedBy: end).first
    }

    @Test func screenshotIsAPNG() throws {
        let browser = try HeadlessBrowser.require()
        let directory = try CacheDirectory.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svg = try Self.write(FlameGraph.svg(SyntheticProfile().stacks(2_000), options: FlameGraphOptions()), named: "big.svg", in: directory)
        let png = directory.appendingPathComponent("shot.png")
        let result = try browser.screenshot(svg, to: png, width: 1200, height: 800)
        let bytes = try [UInt8](Data(contentsOf: png))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(result.output)")
        #expect(bytes.count > 20_000, "a flame graph is not a blank page: \(bytes.count) bytes")
        let size = bytes.count >= 24 ? (bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }) : (0, 0)
        #expect(size == (1200, 800))
    }

    /// Drawn as an image (no script runs there) onto a canvas, counting strongly coloured pixels:
    /// the frames are saturated, the background gradient and text are not.
    @Test func framesAreDrawn() throws {
        let browser = try HeadlessBrowser.require()
        let directory = try CacheDirectory.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svg = FlameGraph.svg(Self.stacks, options: FlameGraphOptions())
        let page = """
        <!DOCTYPE html><html><body><p id="result">pending</p><script>
        var image = new Image();
        image.onload = function () {
          var canvas = document.createElement("canvas"), context = canvas.getContext("2d");
          canvas.width = image.width; canvas.height = image.height;
          context.fillStyle = "#fff"; context.fillRect(0, 0, canvas.width, canvas.height);
          context.drawImage(image, 0, 0);
          var data = context.getImageData(0, 0, canvas.width, canvas.height).data, coloured = 0;
          for (var i = 0; i < data.length; i += 4) {
            if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 90) coloured++;
          }
          document.getElementById("result").textContent = "coloured=" + coloured;
        };
        image.onerror = function () { document.getElementById("result").textContent = "error"; };
        image.src = "data:image/svg+xml;base64,\(Data(svg.utf8).base64EncodedString())";
        </script></body></html>
        """
        let dom = try browser.dumpDOM(Self.write(page, named: "canvas.html", in: directory))
        let counted = dom.components(separatedBy: "coloured=").dropFirst().first?.prefix(while: \.isNumber)
        let coloured = try #require(counted.flatMap { Int($0) }, "\(dom.suffix(2000))")
        // The user and kernel frames (main, read_line, execute, vfs_*, a;b…) cover about 40,000
        // pixels; anti-aliasing and labels take some.
        #expect(coloured > 25_000, "only \(coloured) coloured pixels")
    }

    @Test func searchFromTheURLCountsNestedMatchesOnce() throws {
        let browser = try HeadlessBrowser.require()
        let directory = try CacheDirectory.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.write(FlameGraph.svg(Self.stacks, options: FlameGraphOptions()), named: "search.svg", in: directory)
        let pattern = "^vfs_"
        let dom = try browser.dumpDOM(Self.url(file, query: "s=" + (pattern.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")))
        #expect(dom.contains("data-ready=\"1\""), "the script ran: \(dom.prefix(600))")
        // Each stack with a matching frame counts once, however many of its frames match.
        let regex = try Regex(pattern)
        let total = Self.stacks.reduce(0) { $0 + $1.count }
        let matching = Self.stacks.filter { $0.frames.contains { $0.name.contains(regex) } }.reduce(0) { $0 + $1.count }
        let matched = try #require(Self.element("id=\"matched\"", in: dom))
        #expect(matched.contains("data-samples=\"\(matching)\""), "\(matched)")
        #expect(matched.contains(String(format: "Matched: %.1f%%", 100 * Double(matching) / Double(total))), "\(matched)")
        #expect(dom.components(separatedBy: "<g class=\"m\">").count - 1 == 4, "four vfs_ frames highlighted")
        #expect(!dom.contains("<script>alert"), "a frame's name stays text")
    }

    @Test func zoomFromTheURLByFramePathOrPoint() throws {
        let browser = try HeadlessBrowser.require()
        let directory = try CacheDirectory.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.write(FlameGraph.svg(Self.stacks, options: FlameGraphOptions()), named: "zoom.svg", in: directory)

        let byPath = try browser.dumpDOM(Self.url(file, query: "f=bash;main;execute"))
        let zoomed = try #require(Self.element("data-zoomed", in: byPath), "\(byPath.prefix(3000))")
        #expect(zoomed.contains("<title>execute (30 samples, 30.00%)</title>"))
        #expect(zoomed.contains("x=\"10\"") && zoomed.contains("width=\"1180\""), "full width: \(zoomed)")
        #expect(byPath.contains("data-zoom=\"bash;main;execute\""))
        #expect(Self.element("<title>main (", in: byPath)?.contains("class=\"fade\"") == true, "ancestors fade")
        #expect(Self.element("<title>read_line (", in: byPath)?.contains("class=\"hide\"") == true, "others hide")

        // A name with ';', spaces, quotes and '&', percent-encoded, under an XML-special process name.
        let path = ["<script>alert(1)</script>", "a;b \"q\" & y"]
            .map { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }.joined(separator: ";")
        let byEncodedPath = try browser.dumpDOM(Self.url(file, query: "f=" + path))
        let odd = try #require(Self.element("data-zoomed", in: byEncodedPath), "\(byEncodedPath.prefix(3000))")
        #expect(odd.contains("a;b \"q\" &amp; y (37 samples") && odd.contains("width=\"1180\""), "\(odd)")

        // x, y: a point inside read_line's rectangle as first drawn.
        let svg = FlameGraph.svg(Self.stacks, options: FlameGraphOptions())
        let rect = try #require(FlameGraphTests.rect(of: "read_line", in: svg))
        let x = try #require(Double(rect["x"] ?? "")) + 5, y = try #require(Double(rect["y"] ?? "")) + 5
        let byPoint = try browser.dumpDOM(Self.url(file, query: "x=\(x)&y=\(y)"))
        #expect(Self.element("data-zoomed", in: byPoint)?.contains("<title>read_line (30 samples") == true)
    }

    @Test func hoverShowsDetails() throws {
        let browser = try HeadlessBrowser.require()
        let directory = try CacheDirectory.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svg = FlameGraph.svg(Self.stacks, options: FlameGraphOptions())
        let file = try Self.write(svg, named: "hover.svg", in: directory)
        let rect = try #require(FlameGraphTests.rect(of: "execute", in: svg))
        let x = try #require(Double(rect["x"] ?? "")) + 5, y = try #require(Double(rect["y"] ?? "")) + 5
        let dom = try browser.dumpDOM(Self.url(file, query: "h=\(x),\(y)"))
        #expect(Self.element("id=\"details\"", in: dom)?.hasSuffix(">Function: execute (30 samples, 30.00%)") == true,
                "\(Self.element("id=\"details\"", in: dom) ?? dom.prefix(2000).description)")
    }
}
