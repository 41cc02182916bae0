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
                made += try Self.attach(program, to: point)
            }
        } catch {
            made.forEach { $0.destroy() }
            throw error
        }
        links = made
        try setEnabled(true)
    }

    /// One link for most kinds; one per online CPU for sampling kinds.
    static func attach(_ program: BPFProgram, to point: AttachPoint) throws(KernelError) -> [BPFLink] {
        let target = point.target
        switch point.kind {
        case .tracepoint:
            return [try program.attachTracepoint(category: target[0], event: target[1])]
        case .rawTracepoint:
            return [try program.attachRawTracepoint(target[0])]
        case .tpBTF, .fentry, .fexit:
            return [try program.attachTrace(kind: point.kind, target: target[0])]
        case .kprobe, .kretprobe:
            return [try program.attachKprobe(function: target[0], offset: Int(target[1]) ?? 0,
                                             isReturn: point.kind == .kretprobe)]
        case .uprobe, .uretprobe:
            return [try program.attachUprobe(binary: target[0], function: target[1], offset: Int(target[2]) ?? 0,
                                             isReturn: point.kind == .uretprobe)]
        case .usdt:
            return [try program.attachUSDT(binary: target[0], provider: target[1], name: target[2])]
        case .profile, .software, .hardware, .interval:
            // target: [type, config, period or frequency, "freq"|"period", cpus…]
            guard target.count >= 5, let type = PerfEvents.EventType(rawValue: UInt32(target[0]) ?? 9),
                  let config = UInt64(target[1]), let amount = UInt64(target[2]) else {
                throw KernelError(.attach(point.kind), subject: point.description, errno: EINVAL)
            }
            var links: [BPFLink] = []
            do throws(KernelError) {
                for cpu in target[4...].compactMap({ Int32($0) }) {
                    let fd = try PerfEvents.open(type: type, config: config, periodOrFrequency: amount,
                                                 useFrequency: target[3] == "freq", cpu: cpu, description: point.description)
                    links.append(try program.attachPerfEvent(fd: fd, kind: point.kind, description: "\(point.description) cpu \(cpu)"))
                }
            } catch {
                links.forEach { $0.destroy() }
                throw error
            }
            return links
        }
    }

    /// Hands the links over for destruction (the caller decides on which thread).
    func takeLinks() -> [BPFLink] {
        defer { links = [] }
        return links
    }
}
