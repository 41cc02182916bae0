// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "bpfsh",
    products: [
        .executable(name: "bpfsh", targets: ["bpfsh"]),
        .executable(name: "bpfsh-bench", targets: ["bpfsh-bench"]),
        // For the fuzzer's own package (Fuzz/), which links the shell's front end.
        .library(name: "BPFShell", targets: ["BPFShell"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibBPF", path: "Sources/CLibBPF", pkgConfig: "libbpf",
                       providers: [.apt(["libbpf-dev"])]),
        .systemLibrary(name: "CLibElf", path: "Sources/CLibElf", pkgConfig: "libelf",
                       providers: [.apt(["libelf-dev"])]),
        .systemLibrary(name: "CLibEdit", path: "Sources/CLibEdit", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CZMQ", path: "Sources/CZMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLZMA", path: "Sources/CLZMA", pkgConfig: "liblzma",
                       providers: [.apt(["liblzma-dev"])]),
        // libstdc++ for __cxa_demangle (C++ frames named as written); the Swift runtime uses it already.
        .target(name: "CShim", dependencies: ["CLibBPF", "CLibEdit"], path: "Sources/CShim",
                linkerSettings: [.linkedLibrary("stdc++")]),
        .target(name: "BPFShell", dependencies: ["CLibBPF", "CLibElf", "CLibEdit", "CLZMA", "CZMQ", "CLibCrypto", "CShim"],
                path: "Sources/BPFShell"),
        // The metrics endpoint's HTTP server (SwiftNIO), kept out of BPFShell so the core
        // (and the fuzzer, which builds every module it links instrumented) carries no network stack.
        .target(name: "MetricsHTTP", dependencies: [
            "BPFShell",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], path: "Sources/MetricsHTTP"),
        .executableTarget(name: "bpfsh", dependencies: [
            "BPFShell", "MetricsHTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/bpfsh"),
        // Child processes with deadlines (posix_spawn, waitpid): the benchmark and the tests.
        .target(name: "CProcessKit", path: "Sources/CProcessKit"),
        .target(name: "ProcessKit", dependencies: ["CProcessKit"], path: "Sources/ProcessKit"),
        // The benchmark drives the bpfsh binary as a user would: no BPFShell dependency.
        .executableTarget(name: "bpfsh-bench", dependencies: [
            "ProcessKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/bpfsh-bench"),
        .testTarget(name: "BPFShellTests", dependencies: ["BPFShell", "MetricsHTTP", "ProcessKit"], path: "Tests/BPFShellTests",
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)
