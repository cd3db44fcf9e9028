import Crypto
import Dispatch
import EPCIS
import Foundation
import LedgerStoreSQLite
import Statements
import Threadline
import TransparencyLog

/// A participant on another machine: `threadline import` of an EPCIS document through `threadline serve` from a
/// client process, against the same import run on the ledger's machine. Both are the release CLI
/// (`threadline-bench-cli`) as separate processes, timed end to end: reading the document, validating and
/// signing every event, recording them durably under the ledger's rules — and, through the server, posting them
/// and verifying the answer.
extension LedgerBench {
    func runRemoteImport(events count: Int, bound: Double) async throws {
        let cli = try Self.cli()
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("threadline-bench-remote-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let brand = try SigningKey(name: "bench-brand", seed: Array(SHA256.hash(data: Array("bench brand".utf8))))
        let keyFile = folder.appendingPathComponent("brand.key").path
        try StateFile.writeSecret(brand.fileContents, to: keyFile)

        // The document: `count` ObjectEvents of the brand's products, as the events benchmark records them.
        let events = (0..<count).map { i -> String in
            let time = Timestamp.format(millis: Int64(1_790_000_000 + i) * 1000)
            return
                #"{"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+00:00","epcList":["\#(EventShape.simple.item("\(i)"))"],"action":"ADD","bizStep":"commissioning","disposition":"active","readPoint":{"id":"urn:epc:id:sgln:0614141.00001.0"},"bizLocation":{"id":"urn:epc:id:sgln:0614141.00001.0"},"certificationInfo":["https://certifier.example/gots/TC-\#(i % 997)"]}"#
        }
        let document = folder.appendingPathComponent("batch.json").path
        try Data(
            (#"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-12-06T00:00:00Z","epcisBody":{"eventList":["#
                + events.joined(separator: ",") + "]}}").utf8
        ).write(to: URL(fileURLWithPath: document))
        print("setup   a document of \(count) events, \(fileSize(document) / 1_048_576) MiB (not measured)")

        func ledger(_ name: String) async throws -> (path: String, vkey: String) {
            try await Self.cliLedger(folder.appendingPathComponent(name).path, brand: brand)
        }
        func run(_ arguments: [String]) throws -> String { try Self.run(cli, arguments) }
        let expected = "recorded \(count) of \(count) events"

        // On the ledger's machine.
        let local = try await ledger("local.db")
        var output = ""
        let localSeconds = try await timed {
            output = try run(["import", "--ledger", local.path, "--as", keyFile, document])
        }
        precondition(output.hasPrefix(expected), output)
        report("import  local: threadline import --ledger", Double(count) / localSeconds, bound: bound)

        // Through the server, from another process.
        let remote = try await ledger("remote.db")
        let server = Process()
        server.executableURL = cli
        server.arguments = [
            "serve", "--ledger", remote.path, "--port", "0", "--rate-limit", "0", "--request-timeout", "600",
            "--capture-memory", "1024",
        ]
        let log = Pipe()
        server.standardError = log
        try server.run()
        defer { server.terminate() }
        var seen = ""
        while !seen.contains("need-to-know") {
            let data = log.fileHandleForReading.availableData
            precondition(!data.isEmpty, "the server stopped: \(seen)")
            seen += String(decoding: data, as: UTF8.self)
        }
        guard let range = seen.range(of: "on http://127.0.0.1:"),
            let port = Int(seen[range.upperBound...].prefix { $0.isNumber })
        else { throw ValidationErrorText("the server named no port: \(seen)") }
        let remoteSeconds = try await timed {
            output = try run([
                "import", "--server", "http://127.0.0.1:\(port)", "--vkey", remote.vkey, "--state",
                folder.appendingPathComponent("client-state.json").path, "--as", keyFile, document,
            ])
        }
        precondition(output.hasPrefix(expected), output)
        report("import  remote: threadline import --server", Double(count) / remoteSeconds, bound: bound)
        print(String(format: "import  remote rate / local rate: %.2f (target ≥ 0.8)", localSeconds / remoteSeconds))
    }
}

extension LedgerBench {
    /// The release CLI built beside the benchmark.
    static func cli() throws -> URL {
        let cli = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("threadline-bench-cli")
        guard FileManager.default.isExecutableFile(atPath: cli.path) else {
            throw ValidationErrorText(
                "build the CLI too: swift build -c release --package-path Benchmarks --product threadline-bench-cli")
        }
        return cli
    }

    /// A new ledger at `path` with the brand registered (with `places`, if any) and the operator key beside it;
    /// its verifier key.
    static func cliLedger(
        _ path: String, brand: SigningKey, places: [String] = []
    ) async throws -> (path: String, vkey: String) {
        let operatorKey = try SigningKey(generatingWithName: "bench.threadline.example/ledger")
        let store = try SQLiteLedgerStore.create(path: path, metadata: Ledger.metadata(operatorKey: operatorKey))
        let ledger = try await Ledger(store: store, operatorKey: operatorKey)
        let registration = RegistryStatement.registration(
            .init(
                id: "bench-brand", name: "Bench Brand", roles: [.brand, .manufacturer],
                companyPrefixes: ["0614141"], locations: places, keys: [brand.keyID]), basis: 0)
        _ = try await ledger.append([
            try Envelope(signing: registration.payload, type: RegistryStatement.payloadType, with: operatorKey)
        ])
        try StateFile.writeSecret(operatorKey.fileContents, to: path + ".operator-key")
        return (path, operatorKey.keyID)
    }

    /// Runs the CLI to completion; its standard output. It must succeed.
    static func run(_ cli: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = cli
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "threadline \(arguments.first ?? "") failed: \(text)")
        return text
    }
}

/// A failure to report in words.
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
