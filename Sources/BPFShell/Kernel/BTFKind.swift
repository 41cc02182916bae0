import CLibBPF

/// BTF kinds by number: the C headers declare them twice (linux/btf.h and libbpf),
/// which Swift sees as ambiguous, and the numbers are kernel ABI.
enum BTFKind: Int32 {
    case unknown = 0, int, pointer, array, structure, union, enumeration, forward, typedef, volatile
    case const, restrict, function, functionPrototype, variable, dataSection, float, declarationTag
    case typeTag, enumeration64

    init(of type: UnsafePointer<btf_type>) {
        self = BTFKind(rawValue: Int32(btf_kind(type))) ?? .unknown
    }

    var number: UInt32 { UInt32(rawValue) }
}
