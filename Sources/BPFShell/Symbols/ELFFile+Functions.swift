import CLibElf
import Foundation

/// A defined function of an ELF file as the dynamic linker sees it: its name, its
/// symbol version (glibc exports several `pthread_create`s) and where its code is.
public struct ELFFunction: Equatable, Sendable {
    public var name: String
    /// "GLIBC_2.34"; nil for an unversioned symbol.
    public var version: String?
    /// The version a plain name binds to (`name@@VERSION`); hidden ones are `name@VERSION`.
    public var isDefaultVersion: Bool
    public var address: UInt64
    /// Where the code is in the file: what a uprobe attaches at.
    public var fileOffset: UInt64

    /// `name@@VERSION`, `name@VERSION` or `name`, as `nm -D` prints it.
    public var versionedName: String {
        guard let version else { return name }
        return name + (isDefaultVersion ? "@@" : "@") + version
    }
}

extension ELFFile {
    /// Every defined function, from .symtab and .dynsym, with .dynsym's versions.
    public func functions() -> [ELFFunction] {
        var functions: [ELFFunction] = []
        let segments = loadSegments()
        let versions = dynamicSymbolVersions()
        for (section, header) in sectionsWithHeaders() where header.sh_type == SHT_SYMTAB || header.sh_type == SHT_DYNSYM {
            guard let data = elf_getdata(section, nil), header.sh_entsize > 0 else { continue }
            let isDynamic = header.sh_type == SHT_DYNSYM
            for index in 0..<Int(header.sh_size / header.sh_entsize) {
                var symbol = GElf_Sym()
                // ELF64_ST_TYPE is a macro: the type is the low four bits of st_info.
                // STT_GNU_IFUNC (strlen, memcpy, time): the resolver's address, where a uprobe
                // fires on each binding, as in bpftrace.
                guard gelf_getsym(data, Int32(index), &symbol) != nil,
                      [STT_FUNC, STT_GNU_IFUNC].contains(Int32(symbol.st_info & 0xf)),
                      symbol.st_shndx != UInt16(SHN_UNDEF), symbol.st_value != 0,
                      let cName = elf_strptr(elf, Int(header.sh_link), Int(symbol.st_name)) else { continue }
                let text = String(cString: cName)
                guard !text.isEmpty, let fileOffset = Self.fileOffset(of: symbol.st_value, in: segments) else { continue }
                var function = ELFFunction(name: text, version: nil, isDefaultVersion: true, address: symbol.st_value,
                                           fileOffset: fileOffset)
                if let at = text.firstIndex(of: "@") {
                    // .symtab spells versions into the name: name@@V (default) or name@V.
                    function.name = String(text[..<at])
                    let rest = text[at...]
                    function.isDefaultVersion = rest.hasPrefix("@@")
                    function.version = String(rest.drop { $0 == "@" })
                } else if isDynamic, index < versions.count, let version = versions[index] {
                    function.version = version.name
                    function.isDefaultVersion = !version.isHidden
                }
                functions.append(function)
            }
        }
        // .symtab and .dynsym repeat each other: one entry per name, address and version,
        // and an unversioned copy only where no versioned one says more.
        var seen = Set<String>()
        let versioned = Set(functions.filter { $0.version != nil }.map { "\($0.name)|\($0.address)" })
        return functions.filter { function in
            if function.version == nil, versioned.contains("\(function.name)|\(function.address)") { return false }
            return seen.insert("\(function.name)|\(function.address)|\(function.version ?? "")").inserted
        }
    }

    /// The version of each .dynsym entry, by index (nil: local or global, unversioned).
    private func dynamicSymbolVersions() -> [(name: String, isHidden: Bool)?] {
        var versym: [UInt16] = []
        var definitions: [UInt16: String] = [:]
        for (section, header) in sectionsWithHeaders() {
            guard let data = elf_getdata(section, nil), let base = data.pointee.d_buf else { continue }
            let bytes = UnsafeRawBufferPointer(start: base, count: Int(data.pointee.d_size))
            if header.sh_type == SHT_GNU_versym {
                versym = (0..<(bytes.count / 2)).map { bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) }
            } else if header.sh_type == SHT_GNU_verdef {
                // Verdef { vd_version, vd_flags, vd_ndx, vd_cnt: u16; vd_hash, vd_aux, vd_next: u32 },
                // then Verdaux { vda_name, vda_next: u32 }: the first aux names the version.
                var offset = 0
                for _ in 0..<max(Int(header.sh_info), 1) {
                    guard offset + 20 <= bytes.count else { break }
                    let index = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
                    let aux = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let next = Int(bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self))
                    if offset + aux + 4 <= bytes.count {
                        let nameOffset = bytes.loadUnaligned(fromByteOffset: offset + aux, as: UInt32.self)
                        if let name = elf_strptr(elf, Int(header.sh_link), Int(nameOffset)) {
                            definitions[index] = String(cString: name)
                        }
                    }
                    guard next > 0 else { break }
                    offset += next
                }
            }
        }
        return versym.map { entry in
            let index = entry & 0x7fff
            // 0 is local, 1 global unversioned; index 1 in verdef names the file itself.
            guard index > 1, let name = definitions[index] else { return nil }
            return (name, entry & 0x8000 != 0)
        }
    }

    /// PT_LOAD segments: (address, file offset, size in the file).
    func loadSegments() -> [(address: UInt64, fileOffset: UInt64, size: UInt64)] {
        var segments: [(address: UInt64, fileOffset: UInt64, size: UInt64)] = []
        var count = 0
        guard elf_getphdrnum(elf, &count) == 0 else { return [] }
        for index in 0..<count {
            var header = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(index), &header) != nil, header.p_type == UInt32(PT_LOAD) else { continue }
            segments.append((header.p_vaddr, header.p_offset, header.p_filesz))
        }
        return segments
    }

    /// Where the byte at a virtual address lives in the file (nil outside every segment).
    static func fileOffset(of address: UInt64, in segments: [(address: UInt64, fileOffset: UInt64, size: UInt64)]) -> UInt64? {
        guard let segment = segments.first(where: { $0.address <= address && address < $0.address + $0.size }) else {
            return nil
        }
        return address - segment.address + segment.fileOffset
    }
}

/// Function tables of the binaries probes name, read once per file version: a session
/// attaching many uprobes in libc reads its thousands of symbols once, not per probe.
final class ELFFunctionCache {
    private let tables = FileVersionCache<[ELFFunction]>()

    func functions(of file: ELFFile, at path: String) -> [ELFFunction] {
        tables.value(forFileAt: path) { file.functions() }
    }
}
