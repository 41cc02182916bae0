import CLibBPF
import CShim
import Foundation

/// A failed kernel or libbpf operation, named for what was attempted and on what.
public struct KernelError: Error, Sendable, CustomStringConvertible {
    public enum Operation: Sendable, CustomStringConvertible {
        case openObject, loadObject, createMap, reuseMap, readMap, updateMap, attach(ProbeKind), readBTF
        case openRingBuffer, probeFeature, locateTracefs

        public var description: String {
            switch self {
            case .openObject: return "opening the BPF object"
            case .loadObject: return "loading"
            case .createMap: return "creating map"
            case .reuseMap: return "binding map"
            case .readMap: return "reading map"
            case .updateMap: return "updating map"
            case let .attach(kind): return "attaching \(kind.rawValue)"
            case .readBTF: return "reading kernel BTF"
            case .openRingBuffer: return "opening the ring buffer"
            case .probeFeature: return "probing kernel feature"
            case .locateTracefs: return "finding tracefs at"
            }
        }
    }

    public var operation: Operation
    public var subject: String
    public var errno: Int32
    public var hint: String?
    /// What libbpf printed while the operation ran (its own explanation).
    public var libbpfLog: String
    /// The sentence to show once the cause is known (a missing kernel feature, a
    /// privilege); nil leaves the operation, subject and errno to speak.
    public var summary: String?
    /// The verifier's log when it rejected a program (its tail when it was long).
    public var verifierLog: String?

    public init(_ operation: Operation, subject: String, errno: Int32, summary: String? = nil, hint: String? = nil,
                libbpfLog: String = "") {
        self.operation = operation
        self.subject = subject
        self.errno = errno
        self.summary = summary
        self.hint = hint
        self.libbpfLog = libbpfLog
    }

    /// The object compiled for a map does not declare it (a bug of bpfsh's, not the user's).
    static func noSuchMap(_ name: String) -> KernelError {
        KernelError(.createMap, subject: "'\(name)'", errno: ENOENT,
                    summary: "internal error: the object compiled for map '\(name)' declares no such map")
    }

    public var errnoName: String {
        switch errno {
        case EPERM: return "EPERM"
        case ENOENT: return "ENOENT"
        case EINVAL: return "EINVAL"
        case E2BIG: return "E2BIG"
        case EACCES: return "EACCES"
        case ENOMEM: return "ENOMEM"
        case EBUSY: return "EBUSY"
        case EEXIST: return "EEXIST"
        case ENOSPC: return "ENOSPC"
        case EOPNOTSUPP: return "EOPNOTSUPP"
        case ESRCH: return "ESRCH"
        case EBADF: return "EBADF"
        case EFAULT: return "EFAULT"
        case ENODEV: return "ENODEV"
        case 524: return "ENOTSUPP"
        default: return "errno \(errno)"
        }
    }

    public var description: String {
        if let summary { return summary }
        let reason = errno == 524 ? "operation not supported" : String(cString: strerror(errno))
        // "attaching hardware:cycles", not "attaching hardware hardware:cycles".
        if case let .attach(kind) = operation, subject.hasPrefix(kind.rawValue + ":") {
            return "attaching \(subject) failed: \(reason) (\(errnoName))"
        }
        return "\(operation) \(subject) failed: \(reason) (\(errnoName))"
    }
}

/// The places libbpf and system call results are read; no other call site looks at errno.
enum LibBPF {
    /// For functions returning `int`: negative means `-errno` (libbpf 1.0 semantics).
    @discardableResult
    static func check(_ result: Int32, _ operation: KernelError.Operation, _ subject: String) throws(KernelError) -> Int32 {
        guard result < 0 else { return result }
        throw KernelError(operation, subject: subject, errno: -result, libbpfLog: takeLog())
    }

    /// For system calls (`fcntl`, `dup`): -1 means failure with `errno` set.
    @discardableResult
    static func checkSystemCall(_ result: Int32, _ operation: KernelError.Operation, _ subject: String) throws(KernelError) -> Int32 {
        guard result < 0 else { return result }
        throw KernelError(operation, subject: subject, errno: Foundation.errno)
    }

    /// For functions returning a pointer: NULL means failure with `errno` set.
    static func pointer<T>(_ result: T?, _ operation: KernelError.Operation, _ subject: String) throws(KernelError) -> T {
        let code = Foundation.errno
        guard let result else {
            throw KernelError(operation, subject: subject, errno: code == 0 ? EINVAL : code, libbpfLog: takeLog())
        }
        return result
    }

    static func takeLog() -> String {
        let text = String(cString: bpfsh_libbpf_log_text())
        bpfsh_libbpf_log_clear()
        return text
    }

    static func clearLog() {
        bpfsh_libbpf_log_clear()
    }

    static func installLogCapture() {
        bpfsh_libbpf_log_install(0)
    }
}
