import CLibElf
import Foundation

/// Reads what tracing needs from an ELF file with libelf: defined function symbols
/// (symtab and dynsym) and USDT probes from `.note.stapsdt`.
public final class ELFFile {
    public struct USDTProbe: Equatable, Sendable {
        public var provider: String
        public var name: String
        public var arguments: String
    }

    /// The open file, or -1 for an image in memory (MiniDebugInfo, the vDSO).
    private let fd: Int32
    /// The bytes of an image in memory: libelf reads them in place, so they live as long as this.
    private let image: UnsafeMutableRawBufferPointer?
    let elf: OpaquePointer

    public init?(path: String) {
        guard elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE) else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard let elf = elf_begin(fd, ELF_C_READ, nil), elf_kind(elf) == ELF_K_ELF else {
            close(fd)
            return nil
        }
        self.fd = fd
        self.image = nil
        self.elf = elf
    }

    /// An ELF image held in memory (a copy is taken).
    init?(bytes: [UInt8]) {
        guard !bytes.isEmpty, elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE) else { return nil }
        let image = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        image.copyBytes(from: bytes)
        guard let base = image.baseAddress,
              let elf = elf_memory(base.assumingMemoryBound(to: CChar.self), bytes.count), elf_kind(elf) == ELF_K_ELF else {
            image.deallocate()
            return nil
        }
        self.fd = -1
        self.image = image
        self.elf = elf
    }

    deinit {
        elf_end(elf)
        if fd >= 0 { close(fd) }
        image?.deallocate()
    }

    func sectionsWithHeaders() -> [(OpaquePointer, GElf_Shdr)] { sections() }

    private func sections() -> [(OpaquePointer, GElf_Shdr)] {
        var result: [(OpaquePointer, GElf_Shdr)] = []
        var section = elf_nextscn(elf, nil)
        while let current = section {
            var header = GElf_Shdr()
            if gelf_getshdr(current, &header) != nil { result.append((current, header)) }
            section = elf_nextscn(elf, current)
        }
        return result
    }

    /// Names of defined functions, sorted and without duplicates.
    public func functionNames() -> [String] {
        var names = Set<String>()
        for (section, header) in sections() where header.sh_type == SHT_SYMTAB || header.sh_type == SHT_DYNSYM {
            guard let data = elf_getdata(section, nil), header.sh_entsize > 0 else { continue }
            let count = Int(header.sh_size / header.sh_entsize)
            for index in 0..<count {
                var symbol = GElf_Sym()
                guard gelf_getsym(data, Int32(index), &symbol) != nil else { continue }
                // ELF64_ST_TYPE is a macro: the type is the low four bits of st_info.
                guard Int32(symbol.st_info & 0xf) == STT_FUNC, symbol.st_shndx != UInt16(SHN_UNDEF),
                      let name = elf_strptr(elf, Int(header.sh_link), Int(symbol.st_name)) else { continue }
                let text = String(cString: name)
                // Versioned names (malloc@@GLIBC_2.2.5) are attached by their plain name.
                names.insert(String(text.split(separator: "@").first ?? Substring(text)))
            }
        }
        return names.filter { !$0.isEmpty }.sorted()
    }

    /// Function symbols with their addresses (.dynsym and .symtab, whichever the file has).
    func functionSymbols() -> [SymbolTable.Symbol] {
        var symbols: [SymbolTable.Symbol] = []
        for (section, header) in sections() where header.sh_type == SHT_SYMTAB || header.sh_type == SHT_DYNSYM {
            guard let data = elf_getdata(section, nil), header.sh_entsize > 0 else { continue }
            for index in 0..<Int(header.sh_size / header.sh_entsize) {
                var symbol = GElf_Sym()
                guard gelf_getsym(data, Int32(index), &symbol) != nil, Int32(symbol.st_info & 0xf) == STT_FUNC,
                      symbol.st_value != 0, let name = elf_strptr(elf, Int(header.sh_link), Int(symbol.st_name)) else { continue }
                let text = String(cString: name)
                symbols.append(.init(address: symbol.st_value, size: symbol.st_size,
                                     name: String(text.split(separator: "@").first ?? Substring(text))))
            }
        }
        return symbols
    }

    /// True when the file has a full symbol table (.symtab), not only the dynamic one.
    var hasSymbolTable: Bool { sections().contains { $0.1.sh_type == SHT_SYMTAB } }

    /// Function symbols with their addresses, sorted, and the loadable segments that
    /// map file offsets to those addresses (for symbolizing user stacks).
    public func symbolTable() -> ELFSymbolTable {
        symbolTable(with: functionSymbols())
    }

    /// `symbols` (this file's, or its debug files') placed by this file's load segments.
    func symbolTable(with symbols: [SymbolTable.Symbol]) -> ELFSymbolTable {
        ELFSymbolTable(symbols: SymbolTable(symbols), segments: loadSegments().map {
            ELFSymbolTable.Segment(fileOffset: $0.fileOffset, address: $0.address, size: $0.size)
        })
    }

    /// The bytes of a section by name (".gnu_debugdata"), nil when absent or empty.
    func sectionBytes(named wanted: String) -> [UInt8]? {
        let namesIndex = sectionNameIndex()
        for (section, header) in sections() where header.sh_type != SHT_NOBITS {
            guard let name = elf_strptr(elf, namesIndex, Int(header.sh_name)), String(cString: name) == wanted,
                  let data = elf_getdata(section, nil), let base = data.pointee.d_buf, data.pointee.d_size > 0 else { continue }
            return Array(UnsafeRawBufferPointer(start: base, count: Int(data.pointee.d_size)))
        }
        return nil
    }

    /// The GNU build id (NT_GNU_BUILD_ID note) in lower-case hex.
    func buildID() -> String? {
        for (section, header) in sections() where header.sh_type == SHT_NOTE {
            guard let data = elf_getdata(section, nil), let base = data.pointee.d_buf else { continue }
            var offset = 0
            var note = GElf_Nhdr()
            var nameOffset = 0, descriptorOffset = 0
            while true {
                let next = gelf_getnote(data, offset, &note, &nameOffset, &descriptorOffset)
                guard next > 0 else { break }
                // NT_GNU_BUILD_ID is 3 in the "GNU" namespace.
                if note.n_type == 3, note.n_namesz == 4,
                   String(cString: base.advanced(by: nameOffset).assumingMemoryBound(to: CChar.self)) == "GNU" {
                    let bytes = UnsafeRawBufferPointer(start: base.advanced(by: descriptorOffset), count: Int(note.n_descsz))
                    return bytes.map { String(format: "%02x", $0) }.joined()
                }
                offset = next
            }
        }
        return nil
    }

    /// `.gnu_debuglink`: the name of the separate debug file and its CRC-32.
    func debugLink() -> (name: String, crc: UInt32)? {
        guard let bytes = sectionBytes(named: ".gnu_debuglink"), let end = bytes.firstIndex(of: 0), end > 0 else { return nil }
        let crcOffset = (end + 4) / 4 * 4
        guard crcOffset + 4 <= bytes.count else { return nil }
        let crc = bytes[crcOffset..<crcOffset + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return (String(decoding: bytes[..<end], as: UTF8.self), crc)
    }

    /// The USDT probes in the `.note.stapsdt` section (SystemTap SDT v3 notes).
    public func usdtProbes() -> [USDTProbe] {
        var probes: [USDTProbe] = []
        for (section, header) in sections() where header.sh_type == SHT_NOTE {
            guard let name = elf_strptr(elf, Int(sectionNameIndex()), Int(header.sh_name)),
                  String(cString: name) == ".note.stapsdt", let data = elf_getdata(section, nil),
                  let base = data.pointee.d_buf else { continue }
            let bytes = UnsafeRawBufferPointer(start: base, count: Int(data.pointee.d_size))
            var offset = 0
            while offset + 12 <= bytes.count {
                let nameSize = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                let descSize = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                let type = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
                let nameStart = offset + 12
                let descStart = nameStart + (nameSize + 3) / 4 * 4
                let next = descStart + (descSize + 3) / 4 * 4
                guard next <= bytes.count else { break }
                // Three addresses (pc, base, semaphore), then provider, name and arguments.
                if type == 3, descSize > 24 {
                    let strings = bytes[(descStart + 24)..<(descStart + descSize)].split(separator: 0, omittingEmptySubsequences: false)
                        .map { String(decoding: $0, as: UTF8.self) }
                    if strings.count >= 2 {
                        probes.append(USDTProbe(provider: strings[0], name: strings[1],
                                                arguments: strings.count > 2 ? strings[2] : ""))
                    }
                }
                offset = next
            }
        }
        return probes
    }

    func sectionNameIndex() -> Int {
        var index = 0
        _ = elf_getshdrstrndx(elf, &index)
        return index
    }
}

/// Symbols of one ELF file, ready to answer "which function holds this file offset".
/// An ELF file's function symbols and the load segments that map file offsets to them.
public struct ELFSymbolTable: Sendable {
    public struct Segment: Sendable {
        var fileOffset: UInt64
        var address: UInt64
        var size: UInt64
    }

    let symbols: SymbolTable
    let segments: [Segment]

    /// "function+0x1c" for a file offset, or nil when no function covers it.
    func describe(fileOffset: UInt64) -> String? {
        guard let segment = segments.first(where: { $0.fileOffset <= fileOffset && fileOffset < $0.fileOffset + $0.size }) else {
            return nil
        }
        let address = fileOffset - segment.fileOffset + segment.address
        guard let symbol = symbols.symbol(containing: address) else { return nil }
        let offset = address - symbol.address
        let name = Demangler.readable(symbol.name)
        return offset == 0 ? name : "\(name)+0x\(String(offset, radix: 16))"
    }
}
