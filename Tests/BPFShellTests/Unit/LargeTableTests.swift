import Foundation
import Testing
@testable import BPFShell

/// A full print of a big counter map is streamed, and reads exactly as the whole-table
/// print would: same order (count descending, then key; or by key), same columns, same
/// JSON object.
struct LargeTableTests {
    /// Fills `map` with `count` keys whose counts repeat (many ties, ordered by key).
    static func fill(_ map: FakeMap, count: Int, key: (Int) -> [UInt8]) {
        map.entries = (0..<count).map { index in
            let value = UInt64((index * 7919) % 97)
            return RawEntry(key: key(index), value: withUnsafeBytes(of: value.littleEndian) { Array($0) })
        }
    }

    static func session(_ declaration: String) throws -> (Session, CapturedOutput, FakeMap) {
        let output = CapturedOutput()
        let backend = FakeBackend()
        let session = Session(configuration: .init(cacheRoot: ErrorCorpusWithoutKernelTests.cacheRoot), output: output, backend: backend)
        #expect(session.execute(declaration), "\(output.errors)")
        let map = try #require(backend.maps.last)
        return (session, output, map)
    }

    /// What the whole-table path prints for the same map.
    static func wholeTable(_ session: Session, _ name: String, selection: MapContents.Selection, json: Bool) throws -> String {
        let map = try #require(session.map(named: name))
        let contents = try session.contents(of: map, selection: selection)
        return json ? JSONRenderer().render(contents, name: name) : TextRenderer().render(contents, name: name)
    }

    @Test(arguments: [false, true])
    func numericKeysStreamAsTheWholeTableReads(json: Bool) throws {
        let (session, output, map) = try Self.session("map big count<u32> size 70000")
        defer { session.close() }
        Self.fill(map, count: 60_000) { withUnsafeBytes(of: UInt32(60_000 - $0).littleEndian) { Array($0) } }
        if json { session.outputFormat = .json }
        let before = output.text.count
        #expect(session.execute("print big"))
        let streamed = String(output.text.dropFirst(before))
        #expect(streamed == (try Self.wholeTable(session, "big", selection: .init(), json: json)))
        let sortedBefore = output.text.count
        #expect(session.execute("print big sort key"))
        #expect(String(output.text.dropFirst(sortedBefore)) == (try Self.wholeTable(session, "big", selection: .init(order: .keyAscending), json: json)))
        let big = try #require(session.map(named: "big"))
        guard case .streamed = try session.printed(big, selection: .init()) else {
            Issue.record("the big map takes the streamed path")
            return
        }
    }

    /// Signed keys: the most negative is the widest (a minus sign and as many digits).
    @Test func signedKeysStreamAsTheWholeTableReads() throws {
        let (session, output, map) = try Self.session("map deltas count<s64> size 70000")
        defer { session.close() }
        Self.fill(map, count: 52_000) { withUnsafeBytes(of: Int64(26_000 - $0 * 7).littleEndian) { Array($0) } }
        let before = output.text.count
        #expect(session.execute("print deltas"))
        let streamed = String(output.text.dropFirst(before))
        #expect(streamed == (try Self.wholeTable(session, "deltas", selection: .init(), json: false)))
        #expect(streamed.hasPrefix("    KEY  COUNT\n"), "\(streamed.prefix(100))") // -337993
    }

    @Test func textKeysStreamAsTheWholeTableReads() throws {
        let (session, output, map) = try Self.session("map names count<comm_t> size 70000")
        defer { session.close() }
        Self.fill(map, count: 55_000) { index in
            var bytes = Array("proc-\(index)".utf8)
            bytes += [UInt8](repeating: 0, count: 16 - bytes.count)
            return bytes
        }
        let before = output.text.count
        #expect(session.execute("print names"))
        let streamed = String(output.text.dropFirst(before))
        #expect(streamed == (try Self.wholeTable(session, "names", selection: .init(), json: false)))
        #expect(streamed.hasPrefix("KEY         COUNT\n"), "\(streamed.prefix(100))")
    }

    @Test func smallMapsAndTopNKeepTheWholeTablePath() throws {
        let (session, _, map) = try Self.session("map small count<u32>")
        defer { session.close() }
        Self.fill(map, count: 100) { withUnsafeBytes(of: UInt32($0).littleEndian) { Array($0) } }
        let declared = try #require(session.map(named: "small"))
        for selection in [MapContents.Selection(), MapContents.Selection(limit: 5)] {
            guard case let .whole(contents) = try session.printed(declared, selection: selection) else {
                Issue.record("a small map is printed whole")
                continue
            }
            // Read once, flat, it shows as the general path shows it.
            #expect(contents == (try session.contents(of: declared, selection: selection)))
        }
    }
}
