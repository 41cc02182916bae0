import Foundation

/// Turns a verifier log into a short explanation: the verifier's last complaint,
/// the instruction it was looking at, the user's line it came from, and a sentence
/// for the rejections people hit most.
public struct VerifierReport: Equatable, Sendable {
    public var message: String
    public var instruction: String?
    /// The user-code file and line (from BTF line info: "; source @ bpfsh-body:L").
    public var file: String?
    public var line: Int?
    public var sourceLine: String?
    public var explanation: String?
    public var omittedLines: Int
    public var fullLog: String

    public init(log: String) {
        fullLog = log
        let lines = log.split(separator: "\n").map(String.init).filter {
            !$0.hasPrefix("processed ") && !$0.hasPrefix("verification time") && !$0.hasPrefix("stack depth")
                && !$0.hasPrefix("max_states_per_insn") && !$0.isEmpty
        }
        // The complaint is the last line that is not a register-state dump, an instruction
        // or a source line ("infinite loop detected at insn 5" is followed by two states).
        message = lines.last(where: { !Self.isStateLine($0) }) ?? lines.last ?? "the verifier rejected the program without a log"
        instruction = lines.dropLast().last { $0.first?.isNumber ?? false }
        omittedLines = max(0, lines.count - 2)
        for line in lines.reversed() where line.hasPrefix(";") {
            guard let at = line.range(of: " @ ", options: .backwards) else { continue }
            let location = line[at.upperBound...]
            let parts = location.split(separator: ":")
            guard parts.count == 2, let file = parts.first, let lineNumber = Int(parts[1]) else { continue }
            guard file.hasPrefix("bpfsh-") && file != "bpfsh-generated.c" else { continue }
            self.file = String(file)
            self.line = lineNumber
            sourceLine = String(line[line.index(after: line.startIndex)..<at.lowerBound]).trimmingCharacters(in: .whitespaces)
            break
        }
        explanation = Self.explain(message)
        if let register = Self.nullRegister(complaint: message, lines: lines) {
            isNullDereference = true
            explanation = "a NULL pointer is dereferenced (\(register) is 0 there): check the pointer first, "
                + "e.g. if (p) { … }, or read it with bpf_probe_read_kernel, which fails safely"
        }
    }

    /// True when the complaint is about a register the log shows holding 0.
    public var isNullDereference = false

    /// "R1 invalid mem access 'scalar'" after a state line "R1=0": the register the
    /// program dereferenced while it was NULL.
    static func nullRegister(complaint: String, lines: [String]) -> String? {
        guard complaint.hasSuffix("invalid mem access 'scalar'"), let register = complaint.split(separator: " ").first,
              register.hasPrefix("R") else { return nil }
        // The register's latest state decides: 0 then means NULL; anything else (a user
        // pointer held as a number) is not a NULL dereference.
        for line in lines.dropLast().reversed() {
            guard let state = line.split(separator: " ").first(where: { $0.hasPrefix("\(register)=") || $0.hasPrefix("\(register)_w=") })
            else { continue }
            return state == "\(register)=0" || state == "\(register)_w=0" ? String(register) : nil
        }
        return nil
    }

    static func isStateLine(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if ["old state:", "cur state:", "from ", ";", "frame", "mark_precise", "last_idx", "regs=", "parent "]
            .contains(where: { trimmed.hasPrefix($0) }) { return true }
        // "R1_w=ctx() R10=fp0" dumps registers; "R0 invalid mem access …" is a complaint.
        if trimmed.range(of: #"^R[0-9]+(_w|_r|_rw)?="#, options: .regularExpression) != nil { return true }
        // "19: (05) goto pc-1" and "0: R1=ctx() R10=fp0": an instruction, or the state at one.
        return trimmed.range(of: #"^[0-9]+: "#, options: .regularExpression) != nil
    }

    static func explain(_ message: String) -> String? {
        refusals.first { message.contains($0.0) }?.1
    }

    /// The verifier's common refusals (a piece of its message) and what to do about each:
    /// diagnostics quote them, `help errors` lists them.
    static let refusals: [(String, String)] = [
            ("map_value_or_null", "a pointer from get() or bpf_map_lookup_elem() is used without a NULL check: test it first, e.g. if (p) { … }"),
            ("_or_null", "a pointer that may be NULL is dereferenced: check it before use"),
            ("back-edge", "the verifier cannot prove this loop ends: give it a constant bound (for (int i = 0; i < 16; i++))"),
            ("is too complex", "the verifier gave up walking the program, usually a loop whose end it cannot see: bound loops with a constant (for (int i = 0; i < 64 && i < n; i++))"),
            ("infinite loop", "the verifier found a loop that may never end: give it a constant bound"),
            ("Processed 1000001 insn", "the verifier walked a million instructions without reaching the end, usually a loop whose end it cannot see: bound it with a constant (for (int i = 0; i < 64 && i < n; i++))"),
            ("program is too large", "the program is too large for the verifier: reduce loop bounds or split the probe"),
            ("invalid indirect read from stack", "memory on the stack is read before it is written (often struct padding in a map key): zero it with __builtin_memset(&k, 0, sizeof(k)) first"),
            ("unbounded memory access", "an index or size is not bounded: clamp it (if (i >= N) return 0;) before the access"),
            ("invalid access to map value", "an access goes past the end of a map value: check the index against the array size"),
            ("R0 !read_ok", "the probe must return a value"),
            ("unreleased reference", "a reference (e.g. a ring buffer record) is not released on every path"),
            ("invalid mem access 'scalar'", "a kernel pointer held as a number is dereferenced: read through it with BPF_CORE_READ(p, field) or bpf_probe_read_kernel(&v, sizeof(v), p); bpf_get_current_task_btf() gives a task you can dereference"),
            ("unknown func", "the helper is not available for this probe type on this kernel"),
            ("min value is negative", "an index may be negative: use an unsigned type or check it"),
        ]
}
