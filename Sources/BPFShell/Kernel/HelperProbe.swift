import CLibBPF
import Foundation

/// Whether the kernel lets a program type call a helper: a three-instruction program
/// (call, r0 = 0, exit) is loaded and the verifier's answer read. libbpf 1.1's
/// libbpf_probe_bpf_helper takes "program of this type cannot use helper" (newer
/// kernels' wording) for a yes, so the log is read here.
enum HelperProbe {
    static func allows(_ helper: UInt32, in type: bpf_prog_type) -> Bool {
        // struct bpf_insn: code, dst/src registers, 16-bit offset, 32-bit immediate.
        var program: [UInt8] = []
        func instruction(_ code: UInt8, immediate: Int32) {
            program += [code, 0, 0, 0]
            withUnsafeBytes(of: immediate.littleEndian) { program += $0 }
        }
        instruction(0x85, immediate: Int32(bitPattern: helper)) // call helper
        instruction(0xb7, immediate: 0)                          // r0 = 0
        instruction(0x95, immediate: 0)                          // exit
        var log = [CChar](repeating: 0, count: 4096)
        let descriptor: Int32 = program.withUnsafeBytes { bytes in
            log.withUnsafeMutableBufferPointer { logBuffer in
                var options = bpf_prog_load_opts()
                options.sz = MemoryLayout<bpf_prog_load_opts>.size
                options.log_buf = logBuffer.baseAddress
                options.log_size = UInt32(logBuffer.count)
                options.log_level = 1
                return bpf_prog_load(type, "bpfsh_helper", "GPL", bytes.baseAddress?.assumingMemoryBound(to: bpf_insn.self),
                                     program.count / 8, &options)
            }
        }
        if descriptor >= 0 {
            close(descriptor)
            return true
        }
        let text = String(cString: log)
        // Any other complaint (an argument the tiny program does not set up) means the
        // verifier knew the helper and let this type call it.
        return !["unknown func", "invalid func", "cannot use helper", "not supported"].contains { text.contains($0) }
            && !text.isEmpty
    }
}
