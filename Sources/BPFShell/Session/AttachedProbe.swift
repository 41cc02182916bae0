import Foundation

/// A probe the session loaded: its spec and source, and the kernel objects that run it.
public final class AttachedProbe {
    public let number: Int
    public let name: String
    public let spec: ProbeSpec
    public let points: [AttachPoint]
    /// The command as typed, for `show` and `save`.
    public let source: String
    public let unit: GeneratedUnit
    let elf: [UInt8]
    let object: BPFObject
    var links: [BPFLink] = []
    public let compileMilliseconds: Double
    public let loadMilliseconds: Double

    init(number: Int, name: String, spec: ProbeSpec, points: [AttachPoint], source: String, unit: GeneratedUnit,
         elf: [UInt8], object: BPFObject, compileMilliseconds: Double, loadMilliseconds: Double) {
        self.number = number
        self.name = name
        self.spec = spec
        self.points = points
        self.source = source
        self.unit = unit
        self.elf = elf
        self.object = object
        self.compileMilliseconds = compileMilliseconds
        self.loadMilliseconds = loadMilliseconds
    }

    public var isAttached: Bool { !links.isEmpty }

    /// The slot of `bpfsh_counters` that counts this probe's runs.
    var hitSlot: UInt32 { UInt32(Prelude.firstProbeSlot + number - 1) }

    /// Stops (false) or resumes (true) the programs at once through their in-kernel switch.
    func setEnabled(_ enabled: Bool) throws(KernelError) {
        try object.setSectionValue(CUnitBuilder.enabledSection, to: enabled ? 1 : 0)
    }

    /// Attaches every program; on failure, detaches what it attached and rethrows.
    func attach() throws(KernelError) {
        var made: [BPFLink] = []
        do throws(KernelError) {
            for (point, programName) in zip(points, unit.programNames) {
                guard let program = object.program(named: programName) else {
                    throw KernelError(.attach(point.kind), subject: programName, errno: ENOENT)
                }
                made.append(try Self.attach(program, to: point))
            }
        } catch {
            made.forEach { $0.destroy() }
            throw error
        }
        links = made
        try setEnabled(true)
    }

    static func attach(_ program: BPFProgram, to point: AttachPoint) throws(KernelError) -> BPFLink {
        switch point.kind {
        case .tracepoint:
            return try program.attachTracepoint(category: point.target[0], event: point.target[1])
        case .rawTracepoint:
            return try program.attachRawTracepoint(point.target[0])
        case .tpBTF, .fentry, .fexit:
            return try program.attachTrace(kind: point.kind, target: point.target[0])
        default:
            throw KernelError(.attach(point.kind), subject: point.description, errno: EOPNOTSUPP)
        }
    }

    /// Hands the links over for destruction (the caller decides on which thread).
    func takeLinks() -> [BPFLink] {
        defer { links = [] }
        return links
    }
}
