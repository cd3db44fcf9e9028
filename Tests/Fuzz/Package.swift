// swift-tools-version:6.1
import Foundation
import PackageDescription

// Coverage-guided fuzz targets (libFuzzer) for every parser of untrusted input. They live in their own package so
// that `swift build` and `swift test` of the main one never build them; `Tests/Fuzz/run.sh` builds and runs them (its
// header says how).
//
// The main package is named by its folder (SwiftPM's identity of a path dependency), which is `main` here but
// whatever a CI checkout calls it: so it is worked out from this file's place rather than written down.
let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

/// A libFuzzer target: `Sources/<name>/`, with the shared checks and whatever of ours it parses with.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies)
}

let gs1 = Target.Dependency.product(name: "GS1Identifiers", package: root)
let epcis = Target.Dependency.product(name: "EPCIS", package: root)
let epcisXML = Target.Dependency.product(name: "EPCISXML", package: root)
let epcisCSV = Target.Dependency.product(name: "EPCISCSV", package: root)
let statements = Target.Dependency.product(name: "Statements", package: root)
let rules = Target.Dependency.product(name: "LedgerRules", package: root)
let transparencyLog = Target.Dependency.product(name: "TransparencyLog", package: root)
let threadline = Target.Dependency.product(name: "Threadline", package: root)

let package = Package(
    name: "ThreadlineFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        fuzzTarget("fuzz-json", [epcis]),
        fuzzTarget("fuzz-epcis-event", [epcis, statements, rules]),
        fuzzTarget("fuzz-epcis-document", [epcis, statements]),
        fuzzTarget("fuzz-epcis-xml", [epcis, epcisXML]),
        fuzzTarget("fuzz-spreadsheet", [epcis, epcisCSV, .product(name: "Participants", package: root)]),
        fuzzTarget("fuzz-envelope", [statements, transparencyLog]),
        fuzzTarget("fuzz-ledger-record", [epcis, statements]),
        fuzzTarget("fuzz-signed-note", [transparencyLog]),
        fuzzTarget("fuzz-witness-request", [transparencyLog]),
        fuzzTarget("fuzz-tlog-proof", [transparencyLog]),
        fuzzTarget(
            "fuzz-tile",
            [
                threadline, transparencyLog, statements,
                .product(name: "LedgerStore", package: root),
            ]),
        fuzzTarget("fuzz-gs1", [gs1]),
        fuzzTarget("fuzz-bundle", [threadline, transparencyLog, statements]),
        fuzzTarget("fuzz-timestamp", [threadline]),
        fuzzTarget("fuzz-listing-csv", [.product(name: "ThreadlineCLI", package: root)]),
        fuzzTarget("fuzz-event-query", [threadline, .product(name: "HummingbirdCore", package: "hummingbird")]),
        fuzzTarget("fuzz-capture-body", [.product(name: "ThreadlineServer", package: root), threadline]),
        fuzzTarget("fuzz-request-signature", [.product(name: "HTTPSignatures", package: root)]),
        fuzzTarget("fuzz-sealed-event", [epcis, statements]),
        fuzzTarget("fuzz-submission", [statements]),
        fuzzTarget("fuzz-delivery", [threadline, transparencyLog, .product(name: "ThreadlineDeliveries", package: root)]),
    ],
    swiftLanguageModes: [.v6]
)
