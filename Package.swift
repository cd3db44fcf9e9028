// swift-tools-version:6.0
import Foundation
import PackageDescription

/// libqrencode draws the QR codes of `threadline label`. It is a system library (Debian: libqrencode-dev) that a
/// fresh machine may lack, and `swift run threadline demo` must build there: the encoder is compiled in when its
/// header is installed (or when THREADLINE_QRENCODE=1), and `label` says how to get it otherwise.
let qrencode: Bool = {
    if let forced = ProcessInfo.processInfo.environment["THREADLINE_QRENCODE"] { return forced == "1" }
    return ["/usr/include", "/usr/local/include", "/opt/homebrew/include"].contains {
        FileManager.default.fileExists(atPath: $0 + "/qrencode.h")
    }
}()

/// libxml2 reads EPCIS XML. Foundation's `XMLParser` wraps it and is always there; its SAX2 interface, called
/// directly, reads several times faster and needs the header (Debian: libxml2-dev): used when it is installed (or
/// when THREADLINE_LIBXML2=1). The two give the same tree; a test holds them to it.
let libxml2: Bool = {
    if let forced = ProcessInfo.processInfo.environment["THREADLINE_LIBXML2"] { return forced == "1" }
    return ["/usr/include/libxml2", "/usr/local/include/libxml2", "/opt/homebrew/include/libxml2"].contains {
        FileManager.default.fileExists(atPath: $0 + "/libxml/parser.h")
    }
}()

/// The data model, layer by layer: each module sees only those before it.
let model: [Target.Dependency] = ["GS1Identifiers", "EPCIS", "Statements", "Participants", "LedgerRules"]

let package = Package(
    name: "Threadline",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TransparencyLog", targets: ["TransparencyLog"]),
        .library(name: "GS1Identifiers", targets: ["GS1Identifiers"]),
        .library(name: "EPCIS", targets: ["EPCIS"]),
        .library(name: "EPCISXML", targets: ["EPCISXML"]),
        .library(name: "EPCISCSV", targets: ["EPCISCSV"]),
        .library(name: "Statements", targets: ["Statements"]),
        .library(name: "Participants", targets: ["Participants"]),
        .library(name: "LedgerRules", targets: ["LedgerRules"]),
        .library(name: "HTTPSignatures", targets: ["HTTPSignatures"]),
        .library(name: "LedgerStore", targets: ["LedgerStore"]),
        .library(name: "LedgerStoreSQLite", targets: ["LedgerStoreSQLite"]),
        .library(name: "LedgerStorePostgres", targets: ["LedgerStorePostgres"]),
        .library(name: "LedgerBackends", targets: ["LedgerBackends"]),
        .library(name: "Threadline", targets: ["Threadline"]),
        .library(name: "ThreadlineServer", targets: ["ThreadlineServer"]),
        .library(name: "ThreadlineDeliveries", targets: ["ThreadlineDeliveries"]),
        .library(name: "ThreadlineCLI", targets: ["ThreadlineCLI"]),
        .executable(name: "threadline", targets: ["threadline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // The participant's client: HTTP/1.1 and TLS on SwiftNIO, whose event loop waits without spinning.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        .target(
            name: "TransparencyLog",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // GS1 keys (GTIN, SSCC, GLN), Digital Link and EPC URNs, and their one canonical spelling.
        .target(name: "GS1Identifiers", dependencies: ["TransparencyLog"]),
        // EPCIS 2.0 events: JSON reader, event model, validator, CBV vocabularies, the CBV 2.0 event hash, times.
        .target(name: "EPCIS", dependencies: ["GS1Identifiers", "TransparencyLog"]),
        // EPCIS's XML binding (2.0 and 1.2) read as EPCIS 2.0 JSON-LD and written back; libxml2 through Foundation.
        .target(name: "EPCISXML", dependencies: ["EPCIS"] + (libxml2 ? ["CLibXML2"] : [])),
        .systemLibrary(
            name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]
        ),
        // Spreadsheets (CSV) of the steps small factories record, read as EPCIS 2.0 events.
        .target(name: "EPCISCSV", dependencies: ["EPCIS", "GS1Identifiers", "Participants", "Statements"]),
        // What the ledger records: DSSE envelopes, signing keys, ledger records, statement kinds, index keys.
        .target(
            name: "Statements",
            dependencies: [
                "EPCIS", "GS1Identifiers", "TransparencyLog", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The participant registry, folded from registry statements.
        .target(name: "Participants", dependencies: ["Statements", "GS1Identifiers", "TransparencyLog"]),
        // The rules: recording policy, integrity rules, journeys, listing checks, a product's assessment.
        .target(
            name: "LedgerRules",
            dependencies: ["Participants", "Statements", "EPCIS", "GS1Identifiers", "TransparencyLog"]
        ),
        // RFC 9421 HTTP Message Signatures as Threadline profiles them, with the structured fields they need.
        .target(
            name: "HTTPSignatures",
            dependencies: ["TransparencyLog", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "LedgerStore", dependencies: ["TransparencyLog"]),
        .target(
            name: "LedgerStoreSQLite",
            dependencies: [
                "LedgerStore", "TransparencyLog", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "LedgerStorePostgres",
            dependencies: [
                "LedgerStore", "TransparencyLog",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "LedgerBackends", dependencies: ["LedgerStore", "LedgerStoreSQLite", "LedgerStorePostgres"]),
        .target(
            name: "Threadline",
            dependencies: model + [
                "TransparencyLog", "LedgerStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "ThreadlineSamples", path: "samples", exclude: ["README.md", "generate.py", "keys"],
            resources: [.embedInCode("manifest.json"), .embedInCode("tshirt"), .embedInCode("sneaker")]
        ),
        .target(
            name: "ThreadlineDemo",
            dependencies: model + [
                "Threadline", "ThreadlineSamples", "TransparencyLog", "LedgerStore", "LedgerStoreSQLite",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ThreadlineServer",
            dependencies: model + [
                "Threadline", "TransparencyLog", "LedgerStore", "HTTPSignatures",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [
                .embedInCode("Resources/consumer-page.mustache"), .embedInCode("Resources/messages.json"),
                // A link to Specs/openapi.json: the document the server serves is the one the Specs keep.
                .embedInCode("Resources/openapi.json"),
            ]
        ),
        // Deliveries to subscribers' webhooks, signed and proved, and their offline check (Specs/26).
        .target(
            name: "ThreadlineDeliveries",
            dependencies: model + [
                "Threadline", "TransparencyLog", "LedgerStore", "HTTPSignatures",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .systemLibrary(
            name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"]), .brew(["qrencode"])]
        ),
        .target(name: "ThreadlineLabel", dependencies: qrencode ? ["CQREncode"] : []),
        .target(
            name: "ThreadlineCLI",
            dependencies: model + [
                "Threadline", "TransparencyLog", "LedgerStore", "LedgerBackends", "ThreadlineServer", "EPCISXML",
                "ThreadlineDeliveries",
                "EPCISCSV",
                "ThreadlineLabel", "ThreadlineDemo", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(name: "threadline", dependencies: ["ThreadlineCLI"]),
        .target(
            name: "ThreadlineTestSupport",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/Support"
        ),
        .testTarget(name: "TransparencyLogTests", dependencies: ["TransparencyLog", "ThreadlineTestSupport"]),
        .testTarget(
            name: "HTTPSignaturesTests",
            dependencies: [
                "HTTPSignatures", "TransparencyLog", "ThreadlineTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // The model's tests, module by module (each may use the layers below its own).
        .testTarget(
            name: "GS1IdentifiersTests", dependencies: ["GS1Identifiers", "TransparencyLog", "ThreadlineTestSupport"]),
        .testTarget(
            name: "EPCISTests",
            dependencies: ["EPCIS", "EPCISXML", "GS1Identifiers", "TransparencyLog", "ThreadlineTestSupport"]),
        .testTarget(
            name: "EPCISCSVTests", dependencies: ["EPCISCSV", "EPCIS", "Participants", "ThreadlineTestSupport"]),
        .testTarget(
            name: "StatementsTests",
            dependencies: ["Statements", "EPCIS", "GS1Identifiers", "TransparencyLog", "ThreadlineTestSupport"]),
        .testTarget(name: "ParticipantsTests", dependencies: ["Participants", "Statements", "TransparencyLog"]),
        .testTarget(name: "LedgerRulesTests", dependencies: model + ["TransparencyLog", "ThreadlineTestSupport"]),
        .testTarget(
            name: "LedgerStoreTests",
            dependencies: [
                "LedgerStore", "LedgerStoreSQLite", "LedgerStorePostgres", "TransparencyLog", "ThreadlineTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "ThreadlineTests",
            dependencies: model + [
                "Threadline", "LedgerStore", "LedgerStoreSQLite", "TransparencyLog", "ThreadlineTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "ThreadlineLabelTests", dependencies: ["ThreadlineLabel"]),
        .testTarget(
            name: "ThreadlineServerTests",
            dependencies: model + [
                "ThreadlineServer", "Threadline", "TransparencyLog", "LedgerStore", "LedgerStoreSQLite",
                "ThreadlineTestSupport", "ThreadlineDeliveries",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "ThreadlineCLITests",
            dependencies: model + [
                "threadline", "Threadline", "TransparencyLog", "LedgerStore", "LedgerStoreSQLite",
                "LedgerBackends", "ThreadlineLabel", "ThreadlineCLI", "ThreadlineServer", "ThreadlineDemo",
                "HTTPSignatures",
                "ThreadlineTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
