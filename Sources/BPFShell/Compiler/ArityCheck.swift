/// Built-ins called with the wrong number of arguments, found before clang (whose
/// answer would be "too few arguments provided to function-like macro invocation" and
/// "use of undeclared identifier 'hist'"). The counts come from each signature in the
/// built-ins table: `hist(map, value)` takes 2, `count(map[, key])` 1 or 2, `print(fmt, ...)` 1 to 13.
enum ArityCheck {
    struct Problem: Equatable {
        var message: String
        var hint: String
        var offset: Int
        var length: Int
    }

    /// How many arguments a signature allows (alternatives, `min(map, key, value) | min(a, b)`, together).
    static func arguments(of signature: String) -> ClosedRange<Int> {
        let alternatives = signature.components(separatedBy: " | ").map(argumentsOfOne)
        return (alternatives.map(\.lowerBound).min() ?? 0)...(alternatives.map(\.upperBound).max() ?? 0)
    }

    private static func argumentsOfOne(_ signature: String) -> ClosedRange<Int> {
        guard let open = signature.firstIndex(of: "("), let close = signature.lastIndex(of: ")") else { return 0...0 }
        let inside = signature[signature.index(after: open)..<close]
        var required = 0, optional = 0, depth = 0, sawName = false, variadic = false
        func endParameter() {
            if sawName { if depth > 0 { optional += 1 } else { required += 1 } }
            sawName = false
        }
        for character in inside {
            switch character {
            case "[": endParameter(); depth += 1
            case "]": endParameter(); depth -= 1
            case ",": endParameter()
            case ".": variadic = true
            case " ": break
            default: sawName = true
            }
        }
        endParameter()
        if variadic { return required...(required + PrintCheck.maximumValues) }
        return required...(required + optional)
    }

    static func problems(in text: String) -> [Problem] {
        Builtin.all.flatMap { builtin -> [Problem] in
            let allowed = arguments(of: builtin.signature)
            return CallScanner.calls(named: builtin.name, in: text).compactMap { call in
                // `f()` scans as one empty argument.
                let count = call.arguments.count == 1 && call.arguments[0].text.isEmpty ? 0 : call.arguments.count
                guard !allowed.contains(count) else { return nil }
                let wanted = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)"
                    : "\(allowed.lowerBound) \(allowed.count == 2 ? "or" : "to") \(allowed.upperBound)"
                return Problem(message: "\(builtin.name)() takes \(wanted) argument\(allowed.upperBound == 1 ? "" : "s"), not \(count)",
                               hint: "\(builtin.signature): \(builtin.summary)", offset: call.nameOffset, length: call.length)
            }
        }
    }
}
