/// The folded text format flamegraph.pl, inferno and speedscope read: "a;b;c 12" per line, root first.
public enum FoldedText {
    /// perf's stackcollapse marks kernel frames this way, so flamegraph.pl --colors java/kernel colour them.
    static let kernelSuffix = "_[k]"

    /// One line per stack; kernel frames get the "_[k]" suffix only when annotateKernel is true.
    /// Frame names are made safe: ';' becomes ':' and control characters become '?', so a line always
    /// splits back into the same frames. A stack without frames has no folded form and is left out.
    public static func render(_ stacks: [FoldedStack], annotateKernel: Bool) -> String {
        var text = ""
        for stack in stacks where !stack.frames.isEmpty {
            for (index, frame) in stack.frames.enumerated() {
                if index > 0 { text += ";" }
                var name = safeName(frame.name)
                if index == stack.frames.count - 1 { name = withoutTrailingNumber(name) }
                text += name
                if annotateKernel && frame.kind == .kernel { text += kernelSuffix }
            }
            text += " \(stack.count)\n"
        }
        return text
    }

    /// Parses folded text (also what perf script | stackcollapse-perf.pl and bpftrace collapses give);
    /// "_[k]" frames come back as `.kernel`. Blank lines are skipped; any other line must end in
    /// one whole-number count. Lines with two counts (flamegraph.pl's difffolded format) are an error:
    /// parse each side on its own.
    public static func parse(_ text: String) throws -> [FoldedStack] {
        // Bytes, not Characters: a 40 MB profile parses ten times faster, and the separators
        // (space, tab, ';', newline) are all ASCII. "\r\n" line ends are accepted too.
        var stacks: [FoldedStack] = []
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: newline, omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.last == carriageReturn ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == space || $0 == tab }) { continue }
            stacks.append(try parseLine(line, number: lineNumber))
        }
        return stacks
    }

    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let semicolon = UInt8(ascii: ";")

    private static func parseLine(_ line: Substring.UTF8View.SubSequence, number: Int) throws -> FoldedStack {
        // Names may hold spaces ("operator new(unsigned long)"): only the last space ends the stack.
        guard let separator = line.lastIndex(where: { $0 == space || $0 == tab }) else {
            throw FoldedTextError(line: number, reason: "no count at the end of the line")
        }
        let stackText = line[..<separator]
        let countText = line[line.index(after: separator)...]
        guard let count = wholeNumber(countText) else {
            throw FoldedTextError(line: number, reason: "'\(String(decoding: countText, as: UTF8.self))' is not a whole-number count")
        }
        if let lastSpace = stackText.lastIndex(of: space), isNumber(stackText[stackText.index(after: lastSpace)...]) {
            throw FoldedTextError(line: number, reason: "two counts (difffolded format): parse the before and after stacks separately")
        }
        let frames = stackText.split(separator: semicolon, omittingEmptySubsequences: false).map(frame(from:))
        return FoldedStack(frames: frames, count: count)
    }

    private static func frame(from text: Substring.UTF8View.SubSequence) -> FlameFrame {
        if text.count >= kernelSuffix.utf8.count, text.suffix(kernelSuffix.utf8.count).elementsEqual(kernelSuffix.utf8) {
            return FlameFrame(String(decoding: text.dropLast(kernelSuffix.utf8.count), as: UTF8.self), kind: .kernel)
        }
        return FlameFrame(String(decoding: text, as: UTF8.self))
    }

    private static func wholeNumber(_ digits: Substring.UTF8View.SubSequence) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times10, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            if overflowed || carried { return nil }
            value = sum
        }
        return value
    }

    private static func safeName(_ name: String) -> String {
        guard name.unicodeScalars.contains(where: { $0 == ";" || isControl($0) }) else { return name }
        var safe = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            safe.append(scalar == ";" ? ":" : isControl(scalar) ? "?" : scalar)
        }
        return String(safe)
    }

    /// A leaf named "foo 3" would make "foo 3 12" read as a difffolded line; "foo_3" cannot.
    private static func withoutTrailingNumber(_ name: String) -> String {
        guard let lastSpace = name.lastIndex(of: " "), isNumber(name[name.index(after: lastSpace)...].utf8) else { return name }
        var fixed = name
        fixed.replaceSubrange(lastSpace...lastSpace, with: "_")
        return fixed
    }

    /// flamegraph.pl's idea of a count: digits, optionally with a fraction.
    private static func isNumber<Bytes: Collection<UInt8>>(_ text: Bytes) -> Bool {
        let parts = text.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(isDigit) else { return false }
        return parts.count == 1 || parts[1].allSatisfy(isDigit)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }
}

/// A folded line that could not be read, with its 1-based line number.
public struct FoldedTextError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var reason: String

    public var description: String { "folded stacks, line \(line): \(reason)" }
}
