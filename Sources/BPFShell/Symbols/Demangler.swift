import CShim
import Foundation

/// C++ and Swift function names as their programmers wrote them (`llvm::Foo::bar(int)`,
/// `BPFShell.Session.run(_:cell:)`), as bpftrace and perf show C++ frames.
enum Demangler {
    static func readable(_ name: String) -> String {
        guard name.hasPrefix("_Z") || name.hasPrefix("$s") || name.hasPrefix("_$s") || name.hasPrefix("$S") else { return name }
        guard let demangled = bpfsh_demangle(name) else { return name }
        defer { free(demangled) }
        return String(cString: demangled)
    }
}
