import Testing
@testable import BPFShell

/// The heap behind `print m top N`: the N largest of any stream, equal scores kept in
/// the order first seen, and readers of overlapping bucket ranges merged without a key twice.
struct TopScoresTests {
    private func offer(_ top: inout TopScores, key: UInt8, score: UInt64) {
        let keyBytes: [UInt8] = [key]
        withUnsafeBytes(of: score.littleEndian) { raw in
            keyBytes.withUnsafeBytes { top.offer(score: score, key: $0, raw: raw) }
        }
    }

    @Test func keepsTheLargestOfAShuffledStream() {
        var top = TopScores(limit: 10)
        var generator = SystemRandomNumberGenerator()
        for score in (0..<200).shuffled(using: &generator) { offer(&top, key: UInt8(score), score: UInt64(score)) }
        let winners = TopScores.merged([top], limit: 10)
        #expect(winners.map(\.score) == (190..<200).reversed().map(UInt64.init))
        #expect(winners.map(\.key) == (190..<200).reversed().map { [UInt8($0)] })
    }

    @Test func anEqualScoreKeepsTheFirstSeen() {
        var top = TopScores(limit: 2)
        for key in UInt8(1)...5 { offer(&top, key: key, score: 7) }
        #expect(TopScores.merged([top], limit: 2).map(\.key) == [[1], [2]])
    }

    @Test func mergingReadersDropsKeysReadTwice() {
        var first = TopScores(limit: 3), second = TopScores(limit: 3)
        offer(&first, key: 1, score: 100)
        offer(&first, key: 9, score: 50) // read by both: at the boundary of their ranges
        offer(&second, key: 9, score: 50)
        offer(&second, key: 4, score: 70)
        offer(&second, key: 5, score: 10)
        let winners = TopScores.merged([first, second], limit: 3)
        #expect(winners.map(\.key) == [[1], [4], [9]])
        #expect(TopScores.merged([first, second], limit: 10).map(\.key) == [[1], [4], [9], [5]])
    }

    @Test func aLimitOfZeroKeepsNothing() {
        var top = TopScores(limit: 0)
        offer(&top, key: 1, score: 1)
        #expect(TopScores.merged([top], limit: 0).isEmpty)
    }
}
