import Foundation

/// A tracepoint's record layout, parsed from its tracefs `format` file, and the C
/// struct that lets a probe body read `args->filename` by name.
public struct TracepointFormat: Equatable, Sendable {
    public struct Field: Equatable, Sendable {
        /// The declaration as tracefs prints it, e.g. "const char * filename".
        public var declaration: String
        public var name: String
        public var offset: Int
        public var size: Int
        public var isSigned: Bool
    }

    public var category: String
    public var event: String
    public var fields: [Field]

    /// Parses the text of `events/CATEGORY/EVENT/format`.
    public static func parse(_ text: String, category: String, event: String) -> TracepointFormat {
        var fields: [Field] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("field:") else { continue }
            var declaration = "", offset = -1, size = -1, signed = false
            for part in trimmed.split(separator: ";") {
                let piece = part.trimmingCharacters(in: .whitespaces)
                if piece.hasPrefix("field:") {
                    declaration = String(piece.dropFirst("field:".count))
                } else if piece.hasPrefix("offset:") {
                    offset = Int(piece.dropFirst("offset:".count)) ?? -1
                } else if piece.hasPrefix("size:") {
                    size = Int(piece.dropFirst("size:".count)) ?? -1
                } else if piece.hasPrefix("signed:") {
                    signed = piece.hasSuffix("1")
                }
            }
            guard offset >= 0, size > 0, let name = fieldName(declaration) else { continue }
            fields.append(Field(declaration: declaration, name: name, offset: offset, size: size, isSigned: signed))
        }
        return TracepointFormat(category: category, event: event, fields: fields)
    }

    /// The identifier a declaration names: its last word once `[…]` groups are removed
    /// ("char comm[16]" → comm, "__data_loc char[] name" → name).
    static func fieldName(_ declaration: String) -> String? {
        var withoutBrackets = "", depth = 0
        for character in declaration {
            if character == "[" { depth += 1 } else if character == "]" { depth -= 1 } else if depth == 0 {
                withoutBrackets.append(character)
            }
        }
        let trimmed = withoutBrackets.trimmingCharacters(in: .whitespaces)
        let identifier = trimmed.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return identifier.isEmpty ? nil : String(identifier.reversed())
    }

    public var structName: String {
        "bpfsh_tp_\(sanitize(category))__\(sanitize(event))"
    }

    private func sanitize(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// A C struct with the exact offsets tracefs gives. Scalars use sized integer
    /// types (tracefs sizes are authoritative: syscall args are 8 bytes even when
    /// declared `int`), pointers keep their type so `%s` and CO-RE reads stay natural.
    /// Padding is explicit instead of `packed`, which would make clang emit byte loads.
    public var cDeclaration: String {
        var lines = ["struct \(structName) {"]
        var cursor = 0
        for field in fields {
            if field.offset > cursor {
                lines.append("    char __pad_\(cursor)[\(field.offset - cursor)];")
            }
            let misaligned = field.offset % naturalAlignment(field) != 0
            lines.append("    \(cType(field))\(misaligned ? " __attribute__((packed, aligned(1)))" : "");")
            cursor = field.offset + field.size
        }
        lines.append("};")
        return lines.joined(separator: "\n")
    }

    public var fieldSummary: [String] {
        fields.filter { !$0.name.hasPrefix("common_") }.map { field in
            field.declaration.hasPrefix("__data_loc")
                ? "char \(field.name)[];   // a __data_loc string: read it with str(args->\(field.name))"
                : cType(field) + ";"
        }
    }

    private func naturalAlignment(_ field: Field) -> Int {
        if isArray(field) { return 1 }
        return [1, 2, 4, 8].contains(field.size) ? field.size : 1
    }

    private func isArray(_ field: Field) -> Bool { field.declaration.contains("[") }

    func cType(_ field: Field) -> String {
        let declaration = field.declaration
        if declaration.hasPrefix("__data_loc") {
            // Offset and length of the data in the record: read it with str(args->NAME).
            return "bpfsh_data_loc_t \(field.name)"
        }
        if isArray(field) {
            let element = declaration.split(separator: "[").first.map {
                $0.trimmingCharacters(in: .whitespaces).dropLast(field.name.count)
                    .trimmingCharacters(in: .whitespaces)
            } ?? "u8"
            let elementSize = ["char": 1, "unsigned char": 1, "u8": 1, "__u8": 1, "s8": 1, "signed char": 1,
                               "u16": 2, "__u16": 2, "s16": 2, "u32": 4, "__u32": 4, "s32": 4, "int": 4,
                               "unsigned int": 4, "u64": 8, "__u64": 8, "s64": 8, "unsigned long": 8, "long": 8][element]
            if let elementSize, field.size % elementSize == 0 {
                let count = field.size / elementSize
                let type = element == "char" ? "char" : integerType(size: elementSize, signed: element.hasPrefix("s") || element == "int" || element == "long")
                return "\(type) \(field.name)[\(count)]"
            }
            return "u8 \(field.name)[\(field.size)]"
        }
        if declaration.contains("*"), field.size == 8 {
            let type = declaration.dropLast(field.name.count).trimmingCharacters(in: .whitespaces)
            return "\(type) \(field.name)"
        }
        if [1, 2, 4, 8].contains(field.size) {
            return "\(integerType(size: field.size, signed: field.isSigned)) \(field.name)"
        }
        return "u8 \(field.name)[\(field.size)]"
    }

    private func integerType(size: Int, signed: Bool) -> String {
        (signed ? "s" : "u") + String(size * 8)
    }
}
