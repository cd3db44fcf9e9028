// swift-tools-version:6.1
import Foundation
import PackageDescription

// Benchmarks live in their own package so that `swift test` never builds them.
// Run from the repository root:
//   swift run -c release --package-path Benchmarks ledger-bench --records 1000000 \
//       --postgres postgres://threadline:threadline-test@127.0.0.1:5432/threadline_test
//   swift run -c release --package-path Benchmarks ledger-bench --http 200000
//   swift package --package-path Benchmarks benchmark

// The main package is named by its folder (SwiftPM's identity of a path dependency): whatever a clone's folder is
// called, so it is worked out from this file's place rather than written down.
let main = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "ThreadlineBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.29.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "ledger-bench",
            dependencies: [
                .product(name: "Threadline", package: main),
                .product(name: "LedgerStore", package: main),
                .product(name: "LedgerStoreSQLite", package: main),
                .product(name: "LedgerBackends", package: main),
                .product(name: "LedgerStorePostgres", package: main),
                .product(name: "EPCIS", package: main),
                .product(name: "EPCISXML", package: main),
                .product(name: "Statements", package: main),
                .product(name: "TransparencyLog", package: main),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ThreadlineServer", package: main),
                .product(name: "HTTPSignatures", package: main),
                .product(name: "ThreadlineDeliveries", package: main),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/LedgerBench"
        ),
        // The CLI built with the benchmarks, in release: `--remote-import` runs it as the server and client
        // processes (the main package's `threadline`, under another name).
        .executableTarget(
            name: "threadline-bench-cli",
            dependencies: [.product(name: "ThreadlineCLI", package: main)],
            path: "Sources/ThreadlineBenchCLI"
        ),
        .executableTarget(
            name: "MicroBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EPCIS", package: main),
                .product(name: "Statements", package: main),
                .product(name: "LedgerRules", package: main),
                .product(name: "TransparencyLog", package: main),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/MicroBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
