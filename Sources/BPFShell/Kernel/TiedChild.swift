import CShim
import Foundation

/// A child process the kernel kills when this process dies (PR_SET_PDEATHSIG), so a
/// compile never outlives a SIGKILLed session. Wait for it on the thread that started it:
/// the signal follows the thread that forked. The corresponding shim function is
/// `bpfsh_spawn_tied`.
enum TiedChild {
    /// stdin is /dev/null; stdout and stderr go to the given descriptors. Returns the pid,
    /// or throws the errno of a failed fork.
    static func spawn(_ executable: String, _ arguments: [String], stdout: Int32, stderr: Int32) throws -> pid_t {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let pid = bpfsh_spawn_tied(executable, argv, environ, stdout, stderr)
        guard pid > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return pid
    }
}
