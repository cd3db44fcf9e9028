// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Threadline",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TransparencyLog", targets: ["TransparencyLog"]),
        .library(name: "Provenance", targets: ["Provenance"]),
        .library(name: "LedgerStore", targets: ["LedgerStore"]),
        .library(name: "Threadline", targets: ["Threadline"]),
        .executable(name: "threadline", targets: ["threadline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "TransparencyLog",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Provenance",
            dependencies: ["TransparencyLog", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "LedgerStore",
            dependencies: ["TransparencyLog", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "Threadline",
            dependencies: [
                "TransparencyLog", "Provenance", "LedgerStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ThreadlineCLI",
            dependencies: [
                "Threadline", "TransparencyLog", "Provenance", "LedgerStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "threadline", dependencies: ["ThreadlineCLI"]),
        .testTarget(name: "TransparencyLogTests", dependencies: ["TransparencyLog"]),
        .testTarget(name: "ProvenanceTests", dependencies: ["Provenance"]),
        .testTarget(
            name: "LedgerStoreTests",
            dependencies: ["LedgerStore", "TransparencyLog", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "ThreadlineTests",
            dependencies: [
                "Threadline", "LedgerStore", "Provenance", "TransparencyLog",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "ThreadlineCLITests",
            dependencies: [
                "threadline", "Threadline", "TransparencyLog", "Provenance",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
