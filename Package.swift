// swift-tools-version:6.0
import PackageDescription

/// The package's folder, by absolute path: the link may run in another directory (`swift build --package-path`).
let packageFolder = String(#filePath.dropLast("Package.swift".count))
/// Linker/: see the executable's linker settings.
let linkerScripts = packageFolder + "Linker"
/// The static libcurl that `make deps` builds (scripts/build-libcurl.sh).
let libcurlFolder = packageFolder + ".build-libcurl/lib"

let package = Package(
    name: "tailtown-pitr",
    products: [
        .executable(name: "tailtown-pitr", targets: ["tailtown-pitr"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The C libraries, each a system-library target, each wrapped once in PITRNative (Sources/PITR/Native) (libpq has
        // none: it is loaded with dlopen, Native/LibPQ.swift).
        // liblz4, libzstd, libcrypto and libcurl are linked statically (`link ":libX.a"` in their module maps):
        // wal-push and wal-fetch start once per WAL segment, and loading and relocating the shared
        // libraries cost 0.3 ms of every start. No symbol of them is exported, so the libcrypto that
        // libpq loads keeps its own.
        .systemLibrary(name: "CLZ4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", providers: [.apt(["libssl-dev"])]),
        // Debian's libcurl.so.4 loads 31 more libraries (7 ms of every wal-push and wal-fetch to S3): the headers are
        // the system's, the library is Debian's source of the same version built for HTTP(S) over OpenSSL only, by
        // `make deps` (scripts/build-libcurl.sh), into .build-libcurl/lib.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The kernel keyring's system calls (add_key, keyctl), which glibc does not wrap: headers only.
        .systemLibrary(name: "CKeyring"),
        // glibc's mallopt (malloc.h), which the Glibc module leaves out: headers only.
        .systemLibrary(name: "CMalloc"),
        // Our own C for processor instructions Swift cannot emit: CRC-32C (WAL record checksums) and two
        // SHA-256 streams interleaved on the SHA extensions (the original digest's leaves). Always
        // optimized: a debug build of it would hash at a third of OpenSSL's speed.
        .target(name: "CInstructions", cSettings: [.unsafeFlags(["-O2"])]),
        // The library, one SwiftPM target per layer, each depending only on the layers below it
        // (docs/architecture.md); `package` access marks what crosses a layer on purpose.
        .target(name: "PITRSupport", path: "Sources/PITR/Support"),
        .target(
            name: "PITRNative", dependencies: ["PITRSupport", "CLZ4", "CZstd", "CCrypto", "CCurl", "CKeyring", "CMalloc", "CInstructions"],
            path: "Sources/PITR/Native", linkerSettings: [.unsafeFlags(["-L", libcurlFolder])]
        ),
        .target(name: "PITRPipeline", dependencies: ["PITRNative"], path: "Sources/PITR/Pipeline"),
        .target(name: "PITRStorage", dependencies: ["PITRNative"], path: "Sources/PITR/Storage"),
        .target(name: "PITRWAL", dependencies: ["PITRNative"], path: "Sources/PITR/WAL"),
        .target(name: "PITRConfig", dependencies: ["PITRPipeline", "PITRStorage"], path: "Sources/PITR/Config"),
        .target(name: "PITRRepository", dependencies: ["PITRConfig", "PITRWAL"], path: "Sources/PITR/Repository"),
        .target(name: "PITRArchive", dependencies: ["PITRRepository"], path: "Sources/PITR/Archive"),
        .target(name: "PITRBackup", dependencies: ["PITRRepository"], path: "Sources/PITR/Backup"),
        .target(name: "PITRDump", dependencies: ["PITRBackup"], path: "Sources/PITR/Dump"),
        .target(name: "PITRRetention", dependencies: ["PITRDump"], path: "Sources/PITR/Retention"),
        .target(name: "PITRRestore", dependencies: ["PITRArchive", "PITRBackup"], path: "Sources/PITR/Restore"),
        .target(name: "PITRVerify", dependencies: ["PITRRestore", "PITRRetention"], path: "Sources/PITR/Verify"),
        .target(name: "PITRMonitoring", dependencies: ["PITRVerify"], path: "Sources/PITR/Monitoring"),
        .executableTarget(
            name: "tailtown-pitr",
            dependencies: [
                "PITRArchive", "PITRMonitoring",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // PostgreSQL starts the binary once per WAL segment, so the dynamic loader's work is part of
            // every segment: not position-independent (a PIE's 59,000 relative relocations cost 190 page
            // faults and 0.3 ms of each start), libstdc++ linked statically (Linker/libstdc++.so) and no
            // symbol exported (the runtime's `-export-dynamic` put 4,000 in the table every lookup
            // searches): 0.3 ms more of each start.
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-no-pie", "-Xlinker", "--no-export-dynamic", "-L", linkerScripts])]
        ),
        // What both test targets start: the moto S3 server, the fault proxy in front of it, the container-credentials and
        // IMDSv2 server, a webhook listener.
        .target(name: "TestSupport", dependencies: ["PITRNative"], path: "Tests/TestSupport", exclude: ["s3-fault-proxy.py", "credential-server.py"]),
        .testTarget(name: "PITRTests", dependencies: ["PITRArchive", "PITRMonitoring", "TestSupport"], exclude: ["Restore/Fixtures", "WAL/Records/Fixtures"]),
        .testTarget(name: "IntegrationTests", dependencies: ["PITRArchive", "PITRMonitoring", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
