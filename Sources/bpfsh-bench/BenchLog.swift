import Foundation
import ProcessKit

/// bench/out/bench.log (every run and sample) and logs/TAG.log (each process's own
/// output); `say` also tells the person waiting at the terminal.
final class BenchLog {
    let path: String
    let directory: String

    init(path: String, directory: String) {
        self.path = path
        self.directory = directory
        _ = FileManager.default.createFile(atPath: path, contents: nil)
    }

    func log(_ text: String) {
        FileIO.append(text + "\n", toFile: path)
    }

    func say(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
        log(text)
    }

    /// A fresh log file for one process, logs/TAG.log.
    func processLog(_ tag: String) -> String {
        let file = directory + "/" + tag + ".log"
        _ = FileManager.default.createFile(atPath: file, contents: nil)
        return file
    }
}
