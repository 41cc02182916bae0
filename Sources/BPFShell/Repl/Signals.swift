import CShim

/// SIGINT, SIGTERM and SIGHUP as flags: the C handlers only set them (and wake a
/// self-pipe); the shell, scripts and `run` look at them between steps.
public enum Signals {
    /// Installs the handlers and unblocks the signals (a parent may pass them blocked).
    public static func install() {
        bpfsh_signals_install()
    }

    /// True once, for each Ctrl-C since the last look.
    public static func takeInterrupt() -> Bool {
        bpfsh_signals_take_interrupt() != 0
    }

    /// SIGTERM or SIGHUP: the session ends; nil while neither arrived.
    public static var termination: Int32? {
        let signal = bpfsh_signals_termination()
        return signal == 0 ? nil : signal
    }
}
