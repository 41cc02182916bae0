import Foundation

/// `bpfsh jupyter --connection-file FILE` (what Jupyter runs) and `bpfsh jupyter
/// install [--user | --sys-prefix | --prefix DIR]` (the kernelspec, so Jupyter lists bpfsh).
public enum JupyterEntry {
    public static let usage = "usage: bpfsh jupyter --connection-file FILE | bpfsh jupyter install [--user | --sys-prefix | --prefix DIR]"

    public static func run(_ arguments: [String]) -> Int32 {
        if arguments.first == "install" { return install(Array(arguments.dropFirst())) }
        guard arguments.count == 2, arguments[0] == "--connection-file" || arguments[0] == "-f" else {
            FileHandle.standardError.write(Data((usage + "\n").utf8))
            return 2
        }
        do {
            return try JupyterKernel(connectionFile: arguments[1]).run()
        } catch {
            FileHandle.standardError.write(Data("bpfsh jupyter: \(error)\n".utf8))
            return 1
        }
    }

    /// Writes kernels/bpfsh/kernel.json where Jupyter looks for kernelspecs.
    static func install(_ options: [String]) -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let dataDirectory: String
        switch options.first {
        case nil, "--user":
            dataDirectory = environment["JUPYTER_DATA_DIR"]
                ?? (environment["XDG_DATA_HOME"] ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share") + "/jupyter"
        case "--sys-prefix":
            dataDirectory = "/usr/share/jupyter"
        case "--prefix" where options.count == 2:
            dataDirectory = options[1] + "/share/jupyter"
        default:
            FileHandle.standardError.write(Data((usage + "\n").utf8))
            return 2
        }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let directory = dataDirectory + "/kernels/bpfsh"
        let spec: [String: Any] = [
            "argv": [binary, "jupyter", "--connection-file", "{connection_file}"],
            "display_name": "bpfsh", "language": "bpfsh",
            // Jupyter interrupts with SIGINT: a running `run` stops and maps keep their data.
            "interrupt_mode": "signal",
            "metadata": ["debugger": false],
        ]
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let data = try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: directory + "/kernel.json"), options: .atomic)
            // Jupyter's launcher shows logo-*.png (and JupyterLab logo-svg.svg) from the spec's folder.
            for size in [32, 64] {
                try Data(KernelLogo.png(size: size)).write(to: URL(fileURLWithPath: directory + "/logo-\(size)x\(size).png"), options: .atomic)
            }
            try Data(KernelLogo.svg.utf8).write(to: URL(fileURLWithPath: directory + "/logo-svg.svg"), options: .atomic)
            print("installed the bpfsh kernelspec in \(directory)")
            return 0
        } catch {
            FileHandle.standardError.write(Data("bpfsh jupyter install: cannot write \(directory): \(error.localizedDescription)\n".utf8))
            return 1
        }
    }
}
