/// The command language's whole front end on arbitrary bytes, for the fuzzer (`make
/// fuzz`) and for replaying what it found (Tests/Cases/fuzz): lines are gathered into
/// commands, parsed, and every command's arguments checked (durations, numbers, map
/// kinds, probe specs, options), as the shell does before touching the kernel. Any
/// input must end in commands or diagnostics; a crash or a hang is a bug.
public enum ParserFuzzing {
    public static func run(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        var gatherer = CommandGatherer()
        var chunks: [CommandGatherer.Chunk] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if let chunk = gatherer.add(String(line), lineNumber: lineNumber) { chunks.append(chunk) }
        }
        if let chunk = gatherer.finish() { chunks.append(chunk) }
        for chunk in chunks {
            guard case let .complete(commands) = chunk.parsed else { continue }
            commands.forEach(check)
        }
        // The parser on the text whole, as `every` and `-e` give it.
        if case let .complete(commands) = CommandParser.parse(text) { commands.forEach(check) }
    }

    /// Builds the command from its syntax, as the session would before running it.
    private static func check(_ syntax: CommandSyntax) {
        guard let type = CommandRegistry.command(named: syntax.name.text) else { return }
        _ = try? type.init(syntax)
    }
}
