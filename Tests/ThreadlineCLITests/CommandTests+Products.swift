import Foundation
import GS1Identifiers
import LedgerRules
import Statements
import Testing
import ThreadlineLabel
import TransparencyLog

/// Labels, codes, traces and the demo.
extension CommandTests {
    @Test func labelDrawsTheQRCodeOfTheProductsDigitalLink() throws {
        let link = "https://threadline.example/01/04012345000016/21/TS%2F42"
        let printed = try run(
            "label", "urn:epc:id:sgtin:4012345.000001.TS%2F42", "--domain", "https://threadline.example")
        guard QRSymbol.encoderAvailable else {
            #expect(printed.status == 5)
            #expect(printed.stderr.contains("apt-get install libqrencode-dev"))
            return
        }
        #expect(printed.status == 0)
        #expect(printed.output == (try QRSymbol(encoding: link).svg(title: link)))
        #expect(printed.output.contains("<title>\(link)</title>"))
        // --out writes the file; --json describes the symbol.
        let described = try run(
            "label", link, "--level", "h", "--module-size", "10", "--unit", "px", "--out", "l.svg", "--json")
        #expect(described.status == 0)
        let report = try JSONSerialization.jsonObject(with: described.stdout) as? [String: Any]
        let symbol = try QRSymbol(encoding: link, correction: .high)
        #expect(report?["link"] as? String == link)
        #expect(report?["errorCorrection"] as? String == "H")
        #expect(report?["version"] as? Int == symbol.version)
        #expect(report?["modules"] as? Int == symbol.width)
        #expect(report?["svg"] == nil)
        let file = try String(contentsOf: folder.appendingPathComponent("l.svg"), encoding: .utf8)
        #expect(file == symbol.svg(moduleSize: 10, unit: "px", title: link))
        #expect(file.contains("width=\"\((symbol.width + 8) * 10)px\""))
        // Bad input says why.
        #expect(try run("label", "4012345000017").stderr.contains("check digit"))
        #expect(try run("label", "4012345000017").status == 2)
        #expect(try run("label", link, "--level", "X").status == 64)
        let long = try run("label", link + "?x=" + String(repeating: "a", count: 3000))
        #expect(long.status == 2)
        #expect(long.stderr.contains("do not fit"))
    }

    @Test func codeParseShowsEveryFormAndRefusesBadCodes() throws {
        let link = try run(
            "code", "parse", "https://brand.example.com/01/9506000134352/10/L1/21/S%2F1", "--company-prefix-length", "7"
        )
        #expect(link.status == 0)
        #expect(
            link.lines == [
                "kind          item", "gtin          09506000134352", "lot           L1", "serial        S/1",
                "digital link  https://brand.example.com/01/09506000134352/10/L1/21/S%2F1",
                "epc           urn:epc:id:sgtin:9506000.013435.S%2F1",
            ])
        let urn = try run("code", "parse", "urn:epc:id:sgln:0614141.12345.400", "--json")
        let object = try JSONSerialization.jsonObject(with: urn.stdout) as? [String: String]
        #expect(
            object == [
                "kind": "location", "gln": "0614141123452", "glnExtension": "400",
                "digitalLink": "https://id.gs1.org/414/0614141123452/254/400",
                "epc": "urn:epc:id:sgln:0614141.12345.400",
            ])
        let bad = try run("code", "parse", "https://id.gs1.org/01/09506000134352/21/1/10/2")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("qualifier 10 comes after 21"))
    }

    @Test func traceEventsAndReindexAnswerFromTheSampleLedger() throws {
        let demo = try run("demo", "--dir", "demo")
        #expect(demo.status == 0)
        let vkey = try #require(demo.lines.first { $0.hasPrefix("operator  ") }?.dropFirst(10)).description
        let ledger = "demo/ledger.sqlite"
        func journey(_ code: String) throws -> [String: Any] {
            let result = try run("trace", "--ledger", ledger, "--json", code)
            #expect(result.status == 0, "\(result.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        }
        let shirt = try journey("urn:epc:id:sgtin:0614141.012345.TS-0001")
        #expect(shirt["identifier"] as? String == "https://id.gs1.org/01/00614141123452/21/TS-0001")
        #expect(shirt["recalled"] as? Bool == false)
        let steps = try #require(shirt["steps"] as? [[String: Any]])
        #expect(steps.count == 33)
        #expect(steps.first?["stage"] as? String == "origin")
        #expect(steps.first?["participant"] as? String == "sunrise-farm")
        #expect(steps.last?["stage"] as? String == "consumer")
        #expect(steps.last?["seq"] as? Int == 48)
        let seqs = steps.compactMap { $0["seq"] as? Int }
        // The red batch's dyeing (#32) and sewing (#36) are another product's history; the cartons' events
        // while the T-shirt was in one (#39–#43) are this one's.
        #expect(!seqs.contains(32) && !seqs.contains(36))
        #expect(Set([39, 40, 41, 42, 43]).isSubset(of: seqs))
        #expect(steps.contains { ($0["via"] as? String)?.contains("which carried") == true })
        #expect(
            steps.contains {
                ($0["certifications"] as? [String])?.contains("https://certifier.example/organic/IN-ORG-88123") == true
            })
        // Each step's hash is the event's CBV 2.0 hash as event-hash computes it from the sample document.
        let harvest = try run("event-hash", "demo/samples/tshirt/01-farm-harvest.json")
        #expect(steps.first?["hash"] as? String == harvest.lines.first)

        let recalled = try journey("https://id.gs1.org/01/00614141123452/21/TS-0101")
        #expect(recalled["recalled"] as? Bool == true)
        let recalledSeqs = (recalled["steps"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
        #expect(recalledSeqs.contains(32) && recalledSeqs.contains(49) && !recalledSeqs.contains(31))
        // A GTIN with --serial is the same product; a bare GTIN is not a product; an unknown one has no journey.
        #expect(
            try run("trace", "--ledger", ledger, "--brief", "00614141123452", "--serial", "TS-0001").output.contains(
                "33 recorded steps"))
        #expect(try run("trace", "--ledger", ledger, "00614141123452").status == 2)
        let unknown = try run("trace", "--ledger", ledger, "https://id.gs1.org/01/00614141123452/21/TS-9999")
        #expect(unknown.status == 4)

        let sales = try run("events", "--ledger", ledger, "EQ_bizStep=retail_selling")
        #expect(sales.lines.map { String($0.prefix(3)) } == ["48 ", "73 "])
        let page = try run(
            "events", "--ledger", ledger, "--json", "MATCH_epc=https://id.gs1.org/01/00614141123452/21/TS-0001",
            "GE_eventTime=2026-11-20T00:00:00Z", "perPage=2")
        let document = try #require(try JSONSerialization.jsonObject(with: page.stdout) as? [String: Any])
        let results = try #require((document["epcisBody"] as? [String: Any])?["queryResults"] as? [String: Any])
        #expect(((results["resultsBody"] as? [String: Any])?["eventList"] as? [Any])?.count == 2)
        let token = try #require(results["nextPageToken"] as? String)
        let next = try run(
            "events", "--ledger", ledger, "MATCH_epc=https://id.gs1.org/01/00614141123452/21/TS-0001",
            "GE_eventTime=2026-11-20T00:00:00Z", "nextPageToken=\(token)")
        #expect(token == "46")
        #expect(next.lines.map { String($0.prefix(3)) } == ["47 ", "48 "])
        // The query document is valid EPCIS, and its events keep their hashes.
        try page.stdout.write(to: folder.appendingPathComponent("page.json"))
        #expect(try run("event-hash", "page.json").lines.count == 2)
        #expect(try run("events", "--ledger", ledger, "EQ_nonsense=1").status == 64)

        // The integrity rules find the cloned sneaker and the recalled batch, and nothing wrong with TS-0001.
        let checked = try run("check", "--ledger", ledger, "--json")
        #expect(checked.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: checked.stdout) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.filter { $0["code"] as? String == "RECALLED" }.count == 6)
        #expect(
            findings.contains {
                $0["code"] as? String == "CLONE_SUSPECTED"
                    && ($0["identifier"] as? String)?.hasSuffix("SN-0003") == true
            })
        #expect(findings.count == 7)
        let one = try run("check", "--ledger", ledger, "https://id.gs1.org/01/00614141123452/21/TS-0001")
        #expect(one.status == 0)
        #expect(one.lines == ["ok: 33 events meet every integrity rule"])

        // Listings: one by one, then a CSV of several.
        let genuine = try run(
            "check-listing", "--ledger", ledger, "--code", "https://id.gs1.org/01/00614141123452/21/TS-0002",
            "--seller",
            "shopstream", "--claim", "certification=GOTS", "--claim", "countryOfOrigin=IN")
        #expect(genuine.status == 0, "\(genuine.output)")
        #expect(genuine.lines == ["GENUINE  https://id.gs1.org/01/00614141123452/21/TS-0002  seller shopstream"])
        let clone = try run(
            "check-listing", "--ledger", ledger, "--code", "urn:epc:id:sgtin:7612345.054321.SN-0003", "--seller",
            "quickdeals", "--json")
        #expect(clone.status == 3)
        let cloneResult = try #require(try JSONSerialization.jsonObject(with: clone.stdout) as? [String: Any])
        #expect(cloneResult["verdict"] as? String == "SUSPECT")
        let cloneReasons = (cloneResult["findings"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
        #expect(cloneReasons == ["SELLER_NOT_AUTHORISED", "CLONE_SUSPECTED"])
        #expect(
            try run(
                "check-listing", "--ledger", ledger, "--code", "https://id.gs1.org/01/00614141123452/21/TS-9999",
                "--seller", "shopstream"
            ).status == 4)
        try Data(
            """
            code,seller,claims
            https://id.gs1.org/01/00614141123452/21/TS-0002,shopstream,certification=GOTS;countryOfOrigin=IN
            https://id.gs1.org/01/00614141123452/21/TS-0001,shopstream,
            https://id.gs1.org/01/00614141123452/21/TS-0101,shopstream,
            https://id.gs1.org/01/07612345543215/21/SN-0003,quickdeals,
            "https://id.gs1.org/01/07612345543215/21/SN-0077",city-sneakers,"material=leather"

            """.utf8
        ).write(to: folder.appendingPathComponent("listings.csv"))
        let batch = try run("check-listings", "--ledger", ledger, "listings.csv")
        #expect(batch.status == 0, "\(batch.stderr)")
        #expect(
            batch.lines == [
                "code,seller,verdict,reasons,records",
                "https://id.gs1.org/01/00614141123452/21/TS-0002,shopstream,GENUINE,,",
                "https://id.gs1.org/01/00614141123452/21/TS-0001,shopstream,SUSPECT,ALREADY_SOLD,48",
                "https://id.gs1.org/01/00614141123452/21/TS-0101,shopstream,SUSPECT,RECALLED,49",
                "https://id.gs1.org/01/07612345543215/21/SN-0003,quickdeals,SUSPECT,SELLER_NOT_AUTHORISED;CLONE_SUSPECTED,71;75",
                "https://id.gs1.org/01/07612345543215/21/SN-0077,city-sneakers,UNKNOWN,UNKNOWN_PRODUCT,",
            ])
        #expect(batch.stderr.contains("checked 5 listings: 1 genuine, 3 suspect, 1 unknown"))
        #expect(
            try run("check-listings", "--ledger", ledger, "--json", "--out", "report.json", "listings.csv").status == 0)
        let written = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("report.json")))
                as? [[String: Any]])
        #expect(
            written.compactMap { $0["verdict"] as? String } == ["GENUINE", "SUSPECT", "SUSPECT", "SUSPECT", "UNKNOWN"])
        try Data("seller\nshopstream\n".utf8).write(to: folder.appendingPathComponent("bad.csv"))
        #expect(try run("check-listings", "--ledger", ledger, "bad.csv").status == 2)

        // An offline bundle: verified with no ledger, its verdict re-derived; a changed byte fails.
        let bundled = try run(
            "bundle", "--ledger", ledger, "https://id.gs1.org/01/00614141123452/21/TS-0002", "--out", "ts2.bundle")
        #expect(bundled.status == 0, "\(bundled.stderr)")
        #expect(
            try run(
                "bundle", "--ledger", ledger, "https://id.gs1.org/01/00614141123452/21/TS-0002", "--out", "ts2.bundle"
            ).status == 2)
        try FileManager.default.moveItem(
            at: folder.appendingPathComponent("demo/ledger.sqlite"),
            to: folder.appendingPathComponent("demo/away.sqlite"))
        let offline = try run(
            "verify-bundle", "ts2.bundle", "--vkey", vkey, "--seller", "shopstream", "--claim", "certification=GOTS")
        #expect(offline.status == 0, "\(offline.output)")
        #expect(
            offline.lines.first?.hasPrefix(
                "ok: the journey of https://id.gs1.org/01/00614141123452/21/TS-0002 (32 steps)") == true)
        #expect(offline.lines.last == "verdict: GENUINE for seller shopstream")
        var bytes = try Data(contentsOf: folder.appendingPathComponent("ts2.bundle"))
        bytes[bytes.count / 3] ^= 0x01
        try bytes.write(to: folder.appendingPathComponent("changed.bundle"))
        let changed = try run("verify-bundle", "changed.bundle", "--vkey", vkey)
        #expect(changed.status == 1)
        #expect(changed.lines.first?.hasPrefix("FAIL: bundle.") == true)
        try FileManager.default.moveItem(
            at: folder.appendingPathComponent("demo/away.sqlite"),
            to: folder.appendingPathComponent("demo/ledger.sqlite"))

        let reindexed = try run("reindex", "--ledger", ledger)
        #expect(reindexed.lines == ["indexed 110 records"])
        #expect(try run("events", "--ledger", ledger, "EQ_bizStep=retail_selling").lines.count == 2)
    }

    @Test func theDemoTellsBothStoriesFromTheSamplesAndPasses() throws {
        let result = try run("demo", "--dir", "demo")
        #expect(result.status == 0, "\(result.stderr)")
        // What the demo records is samples/, byte for byte: documents, manifest and test-only keys.
        let samples = CLI.packageRoot.appendingPathComponent("samples")
        let written = folder.appendingPathComponent("demo/samples")
        let files = try #require(FileManager.default.enumerator(atPath: written.path)?.allObjects as? [String])
            .filter { $0.hasSuffix(".json") || $0.hasSuffix(".key") }
        #expect(files.count == 18 + 10 + 16 + 1)
        for file in files {
            #expect(
                try Data(contentsOf: written.appendingPathComponent(file))
                    == Data(contentsOf: samples.appendingPathComponent(file)), "\(file)")
        }
        let output = result.output
        // The T-shirt's journey runs from the farm to the sale; the sneaker's from the tannery and sole maker.
        for expected in [
            "Journey of https://id.gs1.org/01/00614141123452/21/TS-0001: 33 recorded steps",
            "commissioning   Sunrise Organic Cotton Farm, Gujarat: 3000 KGM of lot HARVEST-2026-10  #19",
            "certified https://certifier.example/organic/IN-ORG-88123",
            "retail_selling  ShopStream (online store): serial TS-0001  #48",
            "Journey of https://id.gs1.org/01/07612345543215/21/SN-0001",
            "Ebro Tannery: from 120 H87 of lot HIDES-2026-31; made 450 FTK of lot LEATHER-WHT-0450",
            "Porto Rubber Soles: 400 PR of lot SOLE-42-7788",
            "retail_selling  City Sneakers, Zurich: serial SN-0001",
            "ok: record #48 is in demo.threadline.example/supply at tree size 110",
            "ok: 110 records, 121 signatures",
            "#86–103  northwind-apparel commits to the hidden codes of 18 serials",
            // The brands describe their products in English and Chinese.
            "#76  northwind-apparel describes GTIN 00614141123452: Organic cotton T-shirt / 有机棉T恤",
            "#77  stride-footwear describes GTIN 07612345543215: White leather sneaker / 白色真皮运动鞋",
            "GENUINE  serial TS-0002 offered by shopstream claiming certification=GOTS, countryOfOrigin=IN",
            "SUSPECT  serial TS-0101 offered by shopstream\n    RECALLED (records 49): recalled by 'northwind-apparel'",
            "SUSPECT  serial SN-0003 offered by quickdeals\n    SELLER_NOT_AUTHORISED: 'stride-footwear' has not authorised"
                + " 'quickdeals' to sell its products\n    CLONE_SUSPECTED (records 71, 75)",
            "offline bundle (51 records, TS-0002.bundle) verifies with no database: 32 steps, verdict GENUINE",
            // Recorded sealed: the public log holds digests; a shopper's bundle names one serial of its batch.
            "record #48 (the T-shirt's sale) is a sealed ObjectEvent with 8 digests",
            "verified with no database: 33 steps, each field checked against its signed record",
            "the step that made it (#35) shows 1 of the 12 serials it made",
            "none of the batch's 11 other serials is in it",
            // The brand's passport of the T-shirt.
            "8. The T-shirt's Digital Product Passport (UN Transparency Protocol; threadline passport):",
            "Organic cotton T-shirt, made in BD; 6 materials, 7 conformity claims, 33 records of evidence",
        ] {
            #expect(output.contains(expected), "missing: \(expected)")
        }
        for stage in ["ORIGIN", "MANUFACTURER", "BRAND", "CHANNEL", "CONSUMER"] {
            #expect(output.contains("  \(stage)\n"))
        }
        #expect(!output.contains("!! RECALLED"))
        let recalled = try CLI.run(
            ["trace", "--ledger", "demo/ledger.sqlite", "--brief", "https://id.gs1.org/01/00614141123452/21/TS-0101"],
            in: folder)
        #expect(recalled.output.contains("!! RECALLED"))
        let again = try CLI.run(["verify", "--ledger", "demo/ledger.sqlite"], in: folder)
        #expect(again.status == 0)
    }
}
