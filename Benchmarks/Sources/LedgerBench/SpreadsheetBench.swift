import Crypto
import EPCIS
import Foundation
import Statements
import Threadline

/// A workshop's spreadsheet (`Specs/25-spreadsheets.md`): `threadline import --csv` of N commissioning rows, each
/// naming the brand by its participant id, timed end to end by the release CLI in its own process — reading the
/// rows, resolving the place in the registry, validating, signing every event, recording them durably — against
/// the same events imported as an EPCIS JSON-LD document, in the same run.
extension LedgerBench {
    func runSpreadsheet(rows count: Int, bound: Double) async throws {
        let cli = try Self.cli()
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("threadline-bench-csv-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let brand = try SigningKey(name: "bench-brand", seed: Array(SHA256.hash(data: Array("bench brand".utf8))))
        let keyFile = folder.appendingPathComponent("brand.key").path
        try StateFile.writeSecret(brand.fileContents, to: keyFile)
        let gln = "0614141000012"

        var csv = "time,location,gtin,serial,certificate\n"
        var events: [String] = []
        for i in 0..<count {
            let time = Timestamp.format(millis: Int64(1_790_000_000 + i) * 1000)
            csv += "\(time),bench-brand,00614141123452,S\(i),https://certifier.example/gots/TC-\(i % 997)\n"
            events.append(
                #"{"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+00:00","epcList":["https://id.gs1.org/01/00614141123452/21/S\#(i)"],"action":"ADD","bizStep":"commissioning","disposition":"active","readPoint":{"id":"https://id.gs1.org/414/\#(gln)"},"bizLocation":{"id":"https://id.gs1.org/414/\#(gln)"},"certificationInfo":"https://certifier.example/gots/TC-\#(i % 997)"}"#
            )
        }
        let sheet = folder.appendingPathComponent("rows.csv").path
        try Data(csv.utf8).write(to: URL(fileURLWithPath: sheet))
        let document = folder.appendingPathComponent("rows.json").path
        try Data(
            (#"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-12-07T00:00:00Z","epcisBody":{"eventList":["#
                + events.joined(separator: ",") + "]}}").utf8
        ).write(to: URL(fileURLWithPath: document))
        print(
            "setup   a spreadsheet of \(count) rows, \(fileSize(sheet) / 1_048_576) MiB, and the same events as"
                + " JSON-LD, \(fileSize(document) / 1_048_576) MiB (not measured)")
        let expected = "recorded \(count) of \(count) events"

        let csvLedger = try await Self.cliLedger(
            folder.appendingPathComponent("csv.db").path, brand: brand, places: [gln])
        var output = ""
        let csvSeconds = try await timed {
            output = try Self.run(
                cli, ["import", "--ledger", csvLedger.path, "--as", keyFile, "--csv", sheet, "--step", "commission"])
        }
        precondition(output.hasPrefix(expected), output)
        report("csv     threadline import --csv (rows read, signed, durable)", Double(count) / csvSeconds, bound: bound)

        let jsonLedger = try await Self.cliLedger(
            folder.appendingPathComponent("json.db").path, brand: brand, places: [gln])
        let jsonSeconds = try await timed {
            output = try Self.run(cli, ["import", "--ledger", jsonLedger.path, "--as", keyFile, document])
        }
        precondition(output.hasPrefix(expected), output)
        report("csv     the same events as a JSON-LD document", Double(count) / jsonSeconds, bound: bound)
        print(String(format: "csv     spreadsheet rate / JSON-LD rate: %.2f", jsonSeconds / csvSeconds))
    }
}
