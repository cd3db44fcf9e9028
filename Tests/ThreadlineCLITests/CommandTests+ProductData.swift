import Foundation
import Statements
import Testing

/// Product data through the CLI (Specs/24-products.md §5): the brand records it, anyone shows it.
extension CommandTests {
    static let teeData = #"""
        {"name": {"en": "Organic cotton T-shirt", "zh-CN": "有机棉T恤"},
         "brandName": {"en": "Acme", "zh-CN": "艾克美"},
         "description": {"en": "Jersey.\nPre-washed.", "zh-CN": "平纹针织。"},
         "composition": [{"fibre": "cotton", "percent": 95}, {"fibre": "elastane", "percent": 5}],
         "recycledContent": 0, "countryOfManufacture": "BD", "care": {"en": "Wash at 30 °C", "zh-CN": "30°C 机洗"}}
        """#

    @Test func theBrandRecordsProductDataAndTheLatestIsShownInTheReadersLanguage() throws {
        _ = try setUp()
        try addBrand()
        try Data(Self.teeData.utf8).write(to: folder.appendingPathComponent("tee.json"))
        // Not the owner of the GTIN's company prefix: refused, nothing appended.
        #expect(
            try run(
                "participant", "add", "--ledger", "l.db", "--id", "farm", "--name", "Farm", "--role", "origin",
                "--key", "farm.key"
            ).status == 0)
        let notOwner = try run(
            "product", "set", "--ledger", "l.db", "--gtin", "614141123452", "tee.json", "--as", "farm.key")
        #expect(
            notOwner.status == 2 && notOwner.stderr.contains("must be signed by a current key of 'acme'"),
            "\(notOwner.stderr)")
        let set = try run(
            "product", "set", "--ledger", "l.db", "--gtin", "614141123452", "tee.json", "--as", "brand.key", "--json")
        #expect(set.status == 0, "\(set.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: set.stdout) as? [String: Any])
        #expect(summary["seq"] as? Int == 2 && summary["gtin"] as? String == "00614141123452")
        let chinese = try run("product", "show", "--ledger", "l.db", "--gtin", "00614141123452", "--lang", "zh-CN")
        #expect(chinese.lines.first == "gtin         00614141123452   (record 2, signed by acme)")
        #expect(chinese.lines.contains("name         有机棉T恤"))
        #expect(chinese.lines.contains("composition  cotton 95 %, elastane 5 %"))
        #expect(chinese.lines.contains("languages    en, zh-CN"))
        // Line feeds in a description stay under their label; the default language is English.
        let english = try run("product", "show", "--ledger", "l.db", "--gtin", "614141123452")
        #expect(english.output.contains("description  Jersey.\n             Pre-washed.\n"))
        // A new version applies; the JSON is the statement's, with its record and signer.
        try Data(Self.teeData.replacingOccurrences(of: "Organic cotton T-shirt", with: "Tee").utf8).write(
            to: folder.appendingPathComponent("tee2.json"))
        #expect(
            try run("product", "set", "--ledger", "l.db", "--gtin", "00614141123452", "tee2.json", "--as", "brand.key")
                .lines == ["3"])
        let json = try run("product", "show", "--ledger", "l.db", "--gtin", "00614141123452", "--json")
        let shown = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(shown["seq"] as? Int == 3 && shown["signer"] as? String == "acme")
        #expect(((shown["product"] as? [String: Any])?["name"] as? [String: String])?["en"] == "Tee")
        #expect(((shown["product"] as? [String: Any])?["basis"] as? Int) == 3)
        // Refusals: a file naming another GTIN or a basis, a bad composition, a GTIN nobody describes.
        try Data(#"{"gtin":"09506000134352","name":{"en":"X"}}"#.utf8).write(
            to: folder.appendingPathComponent("other.json"))
        try Data(#"{"name":{"en":"X"},"basis":1}"#.utf8).write(to: folder.appendingPathComponent("basis.json"))
        try Data(#"{"name":{"en":"X"},"composition":[{"fibre":"cotton","percent":90}]}"#.utf8).write(
            to: folder.appendingPathComponent("ninety.json"))
        // A file larger than a record may hold is refused before it is read as JSON.
        try Data(("{\"name\":{\"en\":\"" + String(repeating: "x", count: 70_000) + "\"}}").utf8).write(
            to: folder.appendingPathComponent("huge.json"))
        for file in ["other.json", "basis.json", "ninety.json", "missing.json", "huge.json"] {
            let refused = try run(
                "product", "set", "--ledger", "l.db", "--gtin", "614141123452", file, "--as", "brand.key")
            #expect(refused.status == 2, "\(file): \(refused.stderr)")
        }
        #expect(
            try run("product", "set", "--ledger", "l.db", "--gtin", "614141123453", "tee.json", "--as", "brand.key")
                .status == 2)
        #expect(try run("product", "show", "--ledger", "l.db", "--gtin", "00614141000005").status == 4)
        #expect(try run("verify", "--ledger", "l.db").status == 0)
    }
}

extension ClientTests {
    @Test func theBrandRecordsProductDataThroughTheServerAndAnyoneReadsItProved() async throws {
        let (server, _, machines, _) = try await Self.network()
        defer { server.process.terminate() }
        let (brand, market) = (machines["brand"]!, machines["market"]!)
        try brand.write("tee.json", CommandTests.teeData)
        let set = try brand.run(
            "product", "set", "--remote", "hub", "--gtin", "10614141123459", "tee.json", "--as", "brand.key")
        #expect(set.status == 0 && set.lines == ["5"], "\(set.stderr)")
        // The marketplace may not describe the brand's product.
        try market.write("tee.json", CommandTests.teeData)
        let refused = try market.run(
            "product", "set", "--remote", "hub", "--gtin", "10614141123459", "tee.json", "--as", "market.key")
        #expect(refused.status == 2 && refused.stderr.contains("product.owner"), "\(refused.stderr)")
        // Another participant reads it, proved in the log and signed by the GTIN's owner.
        let shown = try market.run("product", "show", "--remote", "hub", "--gtin", "10614141123459", "--lang", "zh-CN")
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.lines.first == "gtin         10614141123459   (record 5, signed by brand)")
        #expect(shown.lines.contains("name         有机棉T恤"))
        #expect(try market.run("product", "show", "--remote", "hub", "--gtin", "10614141000002").status == 4)
        // Anyone may read the route unsigned.
        let (status, body) = try await ServeTests.fetch(server.base.appendingPathComponent("products/10614141123459"))
        #expect(status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect((json["records"] as? [[String: Any]])?.first?["seq"] as? Int == 5)
        #expect(try await ServeTests.fetch(server.base.appendingPathComponent("products/123")).0 == 400)
        // The brand commits hidden codes through the server too; the marketplace may not.
        let codes = try brand.run(
            "codes", "commit", "--remote", "hub", "--gtin", "10614141123459", "--serial", "1", "--as", "brand.key",
            "--out", "codes.csv")
        #expect(
            codes.status == 0
                && codes.lines == ["committed 1 hidden codes as records 6–6; the codes to print are in codes.csv"],
            "\(codes.stderr)")
        let theirs = try market.run(
            "codes", "commit", "--remote", "hub", "--gtin", "10614141123459", "--serial", "2", "--as", "market.key",
            "--out", "codes.csv")
        #expect(
            theirs.status == 2
                && !FileManager.default.fileExists(atPath: market.folder.appendingPathComponent("codes.csv").path))
        #expect(try await ServeTests.fetch(server.base.appendingPathComponent("products/00614141000005")).0 == 404)
    }
}

extension CommandTests {
    @Test func aParticipantsPlacesCarryTheirCountryAndName() throws {
        _ = try setUp()
        let added = try run(
            "participant", "add", "--ledger", "l.db", "--id", "spinner", "--name", "Spinner", "--role", "processor",
            "--gln", "8901236000029", "--key", "farm.key", "--place",
            #"{"gln":"8901236000012","country":"IN","name":{"zh-CN":"蒂鲁普","en":"Tiruppur, Tamil Nadu"}}"#)
        #expect(added.lines == ["0"], "\(added.stderr)")
        let listed = try run("participant", "list", "--ledger", "l.db")
        #expect(listed.lines.contains("  location   8901236000029"))
        #expect(listed.lines.contains("  location   8901236000012  IN, Tiruppur, Tamil Nadu"))
        let json = try run("participant", "list", "--ledger", "l.db", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let spinner = try #require((object["participants"] as? [[String: Any]])?.first)
        #expect(spinner["locations"] as? [String] == ["8901236000029", "8901236000012"])
        let places = try #require(spinner["places"] as? [[String: Any]])
        #expect(places[1]["country"] as? String == "IN")
        #expect((places[1]["name"] as? [String: String])?["zh-CN"] == "蒂鲁普")
        for bad in [#"{"gln":"8901236000012","country":"India"}"#, "not json", #"{"gln":"8901236000012","city":"x"}"#] {
            let refused = try run(
                "participant", "add", "--ledger", "l.db", "--id", "x", "--name", "X", "--role", "processor", "--key",
                "farm.key", "--place", bad)
            #expect(refused.status == 2, "\(bad): \(refused.stderr)")
        }
    }
}

extension CommandTests {
    @Test func theBrandCommitsHiddenCodesAndNothingIsLostOnARefusal() throws {
        _ = try setUp()
        try addBrand()
        try Data("S-1\nS-2\n\n".utf8).write(to: folder.appendingPathComponent("serials.txt"))
        let committed = try run(
            "codes", "commit", "--ledger", "l.db", "--gtin", "614141123452", "--serials-file", "serials.txt",
            "--serial", "S-3", "--as", "brand.key", "--out", "codes.csv", "--json")
        #expect(committed.status == 0, "\(committed.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: committed.stdout) as? [String: Any])
        #expect(summary["committed"] as? Int == 3 && summary["first"] as? Int == 1)
        let csv = try String(contentsOf: folder.appendingPathComponent("codes.csv"), encoding: .utf8)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.first == ["serial", "code", "link"] && rows.count == 4)
        #expect(rows.dropFirst().map { $0[0] } == ["S-3", "S-1", "S-2"])
        #expect(rows.dropFirst().allSatisfy { HiddenCode.normalized($0[1])?.count == 10 })
        #expect(rows[1][2] == "https://id.gs1.org/01/00614141123452/21/S-3")
        let mode =
            try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("codes.csv").path)[
                .posixPermissions] as? Int
        #expect(mode == 0o600)
        // A serial already committed: refused, nothing recorded, and no codes file left to print.
        let again = try run(
            "codes", "commit", "--ledger", "l.db", "--gtin", "614141123452", "--serial", "S-4", "--serial", "S-1",
            "--as", "brand.key", "--out", "more.csv")
        #expect(again.status == 2 && again.stderr.contains("already record"), "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("more.csv").path))
        // Not the GTIN's owner; an existing file is never overwritten; a serial twice.
        #expect(
            try run(
                "codes", "commit", "--ledger", "l.db", "--gtin", "614141123452", "--serial", "S-5", "--as", "farm.key",
                "--out", "x.csv"
            ).status == 2)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.csv").path))
        #expect(
            try run(
                "codes", "commit", "--ledger", "l.db", "--gtin", "614141123452", "--serial", "S-6", "--as", "brand.key",
                "--out", "codes.csv"
            ).status == 2)
        #expect(
            try run(
                "codes", "commit", "--ledger", "l.db", "--gtin", "614141123452", "--serial", "S-7", "--serial", "S-7",
                "--as", "brand.key", "--out", "y.csv"
            ).status == 2)
        #expect(try run("verify", "--ledger", "l.db").status == 0)
    }
}
