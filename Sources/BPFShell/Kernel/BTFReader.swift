import CLibBPF
import Foundation

/// Converts BTF type ids into `ValueType`s so decoding never touches libbpf.
struct BTFReader {
    let btf: OpaquePointer

    func valueType(_ id: UInt32, depth: Int = 0) -> ValueType {
        guard depth < 32, id != 0, let type = btf__type_by_id(btf, id) else { return .opaque(size: 0) }
        let kind = BTFKind(of: type)
        let name = btf__name_by_offset(btf, type.pointee.name_off).map { String(cString: $0) } ?? ""
        switch kind {
        case .int:
            let encoding = btf_int_encoding(type)
            let size = Int(type.pointee.size)
            return .integer(size: size, isSigned: encoding & UInt8(BTF_INT_SIGNED) != 0,
                            isChar: encoding & UInt8(BTF_INT_CHAR) != 0 || (size == 1 && name.contains("char")),
                            isBool: encoding & UInt8(BTF_INT_BOOL) != 0)
        case .float:
            return .float(size: Int(type.pointee.size))
        case .pointer:
            return .pointer
        case .array:
            guard let array = btf_array(type) else { return .opaque(size: 0) }
            return .array(element: valueType(array.pointee.type, depth: depth + 1), count: Int(array.pointee.nelems))
        case .structure, .union:
            var fields: [ValueType.Field] = []
            let members = btf_members(type)
            for index in 0..<Int(btf_vlen(type)) {
                guard let member = members?.advanced(by: index).pointee else { continue }
                let memberName = btf__name_by_offset(btf, member.name_off).map { String(cString: $0) } ?? ""
                fields.append(.init(name: memberName, bitOffset: Int(btf_member_bit_offset(type, UInt32(index))),
                                    bitSize: Int(btf_member_bitfield_size(type, UInt32(index))),
                                    type: valueType(member.type, depth: depth + 1)))
            }
            return .record(.init(name: name, size: Int(type.pointee.size), isUnion: kind == .union,
                                 fields: fields))
        case .enumeration:
            var cases: [String: Int64] = [:]
            let values = btf_enum(type)
            for index in 0..<Int(btf_vlen(type)) {
                guard let value = values?.advanced(by: index).pointee,
                      let caseName = btf__name_by_offset(btf, value.name_off) else { continue }
                cases[String(cString: caseName)] = Int64(value.val)
            }
            return .enumeration(.init(name: name, size: Int(type.pointee.size), isSigned: btf_kflag(type), cases: cases))
        case .enumeration64:
            var cases: [String: Int64] = [:]
            let values = btf_enum64(type)
            for index in 0..<Int(btf_vlen(type)) {
                guard let value = values?.advanced(by: index).pointee,
                      let caseName = btf__name_by_offset(btf, value.name_off) else { continue }
                cases[String(cString: caseName)] = Int64(bitPattern: UInt64(value.val_hi32) << 32 | UInt64(value.val_lo32))
            }
            return .enumeration(.init(name: name, size: Int(type.pointee.size), isSigned: btf_kflag(type), cases: cases))
        case .typedef:
            return .named(name, valueType(type.pointee.type, depth: depth + 1))
        case .const, .volatile, .restrict, .typeTag:
            return valueType(type.pointee.type, depth: depth + 1)
        default:
            let size = btf__resolve_size(btf, id)
            return .opaque(size: size > 0 ? Int(size) : 0)
        }
    }

    /// A C declaration of `name` with type `id`, as a parameter list needs it.
    func declaration(of id: UInt32, name: String, depth: Int = 0) -> String {
        if id == 0 { return "void \(name)" }
        guard depth < 16, let type = btf__type_by_id(btf, id) else { return "u64 \(name)" }
        let kind = BTFKind(of: type)
        let typeName = btf__name_by_offset(btf, type.pointee.name_off).map { String(cString: $0) } ?? ""
        switch kind {
        case .int, .typedef, .float:
            return typeName.isEmpty ? "u64 \(name)" : "\(typeName) \(name)"
        case .structure where !typeName.isEmpty: return "struct \(typeName) \(name)"
        case .union where !typeName.isEmpty: return "union \(typeName) \(name)"
        case .enumeration where !typeName.isEmpty, .enumeration64 where !typeName.isEmpty:
            return "enum \(typeName) \(name)"
        case .const:
            return "const " + declaration(of: type.pointee.type, name: name, depth: depth + 1)
        case .volatile, .restrict, .typeTag:
            return declaration(of: type.pointee.type, name: name, depth: depth + 1)
        case .pointer:
            guard let target = btf__type_by_id(btf, type.pointee.type),
                  BTFKind(of: target) != .functionPrototype else { return "void *\(name)" }
            return declaration(of: type.pointee.type, name: "*" + name, depth: depth + 1)
        default:
            return "u64 \(name)"
        }
    }
}
