/// Decodes raw map bytes into `Value`s using the BTF-derived `ValueType`.
public enum ValueDecoder {
    /// Structs that decode to one value (frames, a symbol, a probe point's name).
    public static let symbolicTypeNames: Set<String> = ["kstack_t", "ustack_t", "ksym_t", "usym_t", "probe_t"]

    public static func decode(_ bytes: [UInt8], as type: ValueType) -> Value {
        bytes.withUnsafeBytes { decode($0, offset: 0, type: type) }
    }

    static func decode(_ buffer: UnsafeRawBufferPointer, offset: Int, type: ValueType) -> Value {
        switch type {
        case let .integer(size, isSigned, _, isBool):
            let raw = loadInteger(buffer, offset: offset, size: size)
            if isBool { return .bool(raw != 0) }
            return isSigned ? .signed(signExtend(raw, size: size)) : .unsigned(raw)
        case let .float(size):
            guard offset + size <= buffer.count else { return .float(0) }
            return size == 4 ? .float(Double(buffer.loadUnaligned(fromByteOffset: offset, as: Float.self)))
                : .float(buffer.loadUnaligned(fromByteOffset: offset, as: Double.self))
        case .pointer:
            return .pointer(loadInteger(buffer, offset: offset, size: 8))
        case let .array(element, count):
            if case let .integer(1, _, isChar, _) = element.resolved, isChar {
                return .string(cString(buffer, offset: offset, count: count))
            }
            let stride = element.size
            return .array((0..<count).map { decode(buffer, offset: offset + $0 * stride, type: element) })
        case let .record(record):
            var members: [Value.Member] = []
            for field in record.fields {
                if field.bitSize > 0 {
                    members.append(.init(field.name, .unsigned(loadBits(buffer, bitOffset: offset * 8 + field.bitOffset,
                                                                       bits: field.bitSize))))
                } else {
                    members.append(.init(field.name, decode(buffer, offset: offset + field.bitOffset / 8, type: field.type)))
                }
            }
            // A wrapper struct with one member (comm_t) reads as its member.
            if members.count == 1 { return members[0].value }
            return .record(members)
        case let .enumeration(enumeration):
            let raw = loadInteger(buffer, offset: offset, size: enumeration.size)
            let value = enumeration.isSigned ? signExtend(raw, size: enumeration.size) : Int64(bitPattern: raw)
            let name = enumeration.cases.first { $0.value == value }?.key ?? ""
            return .enumCase(name, value)
        case .named("kstack_t", _):
            return .stack(StackTrace(isUser: false, id: Int32(truncatingIfNeeded: signExtend(loadInteger(buffer, offset: offset, size: 4), size: 4)),
                                     pid: nil))
        case .named("ustack_t", _):
            return .stack(StackTrace(isUser: true, id: Int32(truncatingIfNeeded: signExtend(loadInteger(buffer, offset: offset, size: 4), size: 4)),
                                     pid: UInt32(truncatingIfNeeded: loadInteger(buffer, offset: offset + 4, size: 4))))
        case .named("ksym_t", _):
            return .symbol(.kernelAddress(loadInteger(buffer, offset: offset, size: 8)), name: nil)
        case .named("usym_t", _):
            return .symbol(.userAddress(pid: UInt32(truncatingIfNeeded: loadInteger(buffer, offset: offset + 8, size: 4)),
                                        address: loadInteger(buffer, offset: offset, size: 8)), name: nil)
        case .named("probe_t", _):
            return .symbol(.probePoint(UInt32(truncatingIfNeeded: loadInteger(buffer, offset: offset, size: 4))), name: nil)
        case let .named(_, inner):
            return decode(buffer, offset: offset, type: inner)
        case let .opaque(size):
            return .string((0..<size).map { offset + $0 < buffer.count ? hex(buffer[offset + $0]) : "" }.joined())
        }
    }

    static func loadInteger(_ buffer: UnsafeRawBufferPointer, offset: Int, size: Int) -> UInt64 {
        guard offset >= 0, offset + size <= buffer.count else { return 0 }
        var value: UInt64 = 0
        for index in 0..<min(size, 8) {
            value |= UInt64(buffer[offset + index]) << (8 * UInt64(index)) // BPF maps are host (little) endian here
        }
        return value
    }

    static func signExtend(_ raw: UInt64, size: Int) -> Int64 {
        guard size < 8 else { return Int64(bitPattern: raw) }
        let shift = UInt64(64 - size * 8)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }

    static func loadBits(_ buffer: UnsafeRawBufferPointer, bitOffset: Int, bits: Int) -> UInt64 {
        let raw = loadInteger(buffer, offset: bitOffset / 8, size: min(8, buffer.count - bitOffset / 8))
        let shifted = raw >> UInt64(bitOffset % 8)
        return bits >= 64 ? shifted : shifted & ((1 << UInt64(bits)) - 1)
    }

    static func cString(_ buffer: UnsafeRawBufferPointer, offset: Int, count: Int) -> String {
        var bytes: [UInt8] = []
        for index in 0..<count where offset + index < buffer.count {
            let byte = buffer[offset + index]
            if byte == 0 { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
