import Foundation
import Testing
import ThreadlineTestSupport

/// A workshop's spreadsheets imported end to end (Specs/25-spreadsheets.md): every step's template recorded, bad
/// rows refused by row and column with nothing recorded, the good ones alone with --continue-on-error, and the same
/// through the server.
struct SpreadsheetIntakeTests {
    /// A ledger with the garment factory (owner of the shirts' prefix, one place) and the brand it ships to.
    static func ledger() throws -> URL {
        let folder = try CLI.folder()
        func run(_ arguments: String...) throws {
            let result = try CLI.run(arguments, in: folder)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        try run("init", "--ledger", "l.db", "--origin", "example.com/l")
        try run("key", "generate", "--out", "factory.key")
        try run("key", "generate", "--out", "brand.key")
        try run(
            "participant", "add", "--ledger", "l.db", "--id", "dhaka-garments", "--name", "Dhaka Garments", "--role",
            "manufacturer", "--prefix", "0614141", "--place", #"{"gln":"8801234000017","country":"BD"}"#, "--key",
            "factory.key")
        try run(
            "participant", "add", "--ledger", "l.db", "--id", "northwind-apparel", "--name", "Northwind", "--role",
            "brand", "--prefix", "0614142", "--place", #"{"gln":"0614142000011","country":"US"}"#, "--key",
            "brand.key")
        return folder
    }

    @Test func everyStepsTemplateIsRecordedAsItsEvent() throws {
        let folder = try Self.ledger()
        let expected = [
            "commission": "commissioning", "ship": "shipping", "receive": "receiving", "pack": "packing",
            "unpack": "unpacking", "make": "commissioning",
        ]
        for step in ["commission", "ship", "receive", "pack", "unpack", "make"] {
            let template = try CLI.run(["csv-template", step], in: folder)
            #expect(template.status == 0)
            try template.stdout.write(to: folder.appendingPathComponent("\(step).csv"))
            let imported = try CLI.run(
                ["import", "--ledger", "l.db", "--as", "factory.key", "--csv", "\(step).csv", "--step", step],
                in: folder)
            #expect(imported.status == 0, "\(step): \(imported.stderr)")
            #expect(imported.lines.last?.hasPrefix("recorded 1 of 1 events") == true, "\(step): \(imported.output)")
            let event = try CLI.run(
                ["events", "--ledger", "l.db", "--json", "EQ_bizStep=\(expected[step]!)"], in: folder)
            #expect(event.output.contains("\"bizStep\":\"\(expected[step]!)\""), "\(step)")
        }
        // The shipment names the brand as a party by its prefix's GLN, and its place.
        let shipped = try CLI.run(["events", "--ledger", "l.db", "--json", "EQ_bizStep=shipping"], in: folder).output
        #expect(shipped.contains("https://id.gs1.org/417/0614142000004"), "\(shipped)")
        #expect(shipped.contains("https://id.gs1.org/414/0614142000011"))
        #expect(shipped.contains("\"eventTimeZoneOffset\":\"+08:00\""))
        // The batch consumed the dyed fabric and made two shirts.
        let made = try CLI.run(["events", "--ledger", "l.db", "--json", "eventType=TransformationEvent"], in: folder)
        #expect(made.output.contains("https://id.gs1.org/01/08901238005015/10/DYE-A-0917"))
        #expect(made.output.contains("https://id.gs1.org/01/00614141123452/21/TS-0002"))
        #expect(made.output.contains("urn:epcglobal:cbv:bt:0614141000005:PO-2026-118"))
    }

    @Test func badRowsAreRefusedByRowAndColumnAndNothingIsRecorded() throws {
        let folder = try Self.ledger()
        // Semicolons and a byte-order mark, as a spreadsheet in many locales saves it.
        let sheet =
            "\u{FEFF}time;location;gtin;serial;lot;quantity;unit\r\n"
            + "2026-09-01 08:30+06:00;dhaka-garments;00614141123452;TS-0101 TS-0102;;;\r\n"
            + "2026-09-01;dhaka-garments;00614141123452;TS-0103;;;\r\n"
            + "2026-09-01 09:30+06:00;dhaka-garments;00614141123453;TS-0104;;;\r\n"
            + "2026-09-01 10:30+06:00;nowhere;00614141123452;;LOT-1;12,5;MTR\r\n"
        try Data(sheet.utf8).write(to: folder.appendingPathComponent("rows.csv"))
        let size = try CLI.run(["checkpoint", "--ledger", "l.db"], in: folder).output
        let all = try CLI.run(
            ["import", "--ledger", "l.db", "--as", "factory.key", "--csv", "rows.csv", "--step", "commission"],
            in: folder)
        #expect(all.status == 2)
        #expect(all.stderr.contains("3 problems:"), "\(all.stderr)")
        #expect(all.stderr.contains("row 3, column 1 (time): '2026-09-01' is not a date and time"))
        #expect(all.stderr.contains("row 4, column 3 (gtin)"))
        #expect(all.stderr.contains("row 5, column 2 (location)"))
        #expect(try CLI.run(["checkpoint", "--ledger", "l.db"], in: folder).output == size)

        let some = try CLI.run(
            [
                "import", "--ledger", "l.db", "--as", "factory.key", "--csv", "rows.csv", "--step", "commission",
                "--continue-on-error", "--json",
            ], in: folder)
        #expect(some.status == 2)
        struct Report: Decodable {
            struct Row: Decodable {
                let index: Int
                let path: String?
            }
            let recorded: [Row]
            let refused: [Row]
        }
        let report = try JSONDecoder().decode(Report.self, from: some.stdout)
        #expect(report.recorded.map(\.index) == [2])
        #expect(
            report.refused.map(\.path) == [
                "row 3, column 1 (time)", "row 4, column 3 (gtin)", "row 5, column 2 (location)",
            ])
        #expect(report.refused.map(\.index) == [3, 4, 5])
    }

    @Test func aSpreadsheetIsImportedThroughTheServer() async throws {
        let (server, _, machines, _) = try await ClientTests.network()
        defer { server.process.terminate() }
        let factory = machines["factory"]!
        // The factory has no place registered: it names it by its GLN.
        try factory.write(
            "fabric.csv",
            "time,location,gtin,lot,quantity,unit\n2026-09-01 01:00Z,8801234000017,08801234000109,LOT1,500,MTR\n")
        let imported = try factory.run(
            "import", "--remote", "hub", "--as", "factory.key", "--csv", "fabric.csv", "--step", "commission")
        #expect(imported.status == 0, "\(imported.stderr) \(imported.output)")
        #expect(imported.lines.last?.hasPrefix("recorded 1 of 1 events") == true)
        let unknown = try factory.run(
            "import", "--remote", "hub", "--as", "factory.key", "--csv", "fabric.csv", "--step", "ship")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("row 1, column 2 (location): 'location' is not a column of ship"))
    }
}
