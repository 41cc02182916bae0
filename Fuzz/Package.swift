// swift-tools-version:6.0
// The parser fuzzer: a package of its own, because libFuzzer supplies main() and every
// module is built instrumented (`make fuzz` builds it with -sanitize=fuzzer).
import PackageDescription

let package = Package(
    name: "bpfsh-fuzz",
    dependencies: [.package(name: "bpfsh", path: "..")],
    targets: [
        .executableTarget(name: "bpfsh-fuzz", dependencies: [.product(name: "BPFShell", package: "bpfsh")],
                          path: "Sources/bpfsh-fuzz", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ],
    swiftLanguageModes: [.v5]
)
