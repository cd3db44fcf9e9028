import Foundation
import GS1Identifiers
import LedgerRules
import Statements
import Testing
import ThreadlineLabel
import TransparencyLog

/// Participants, and recording under the ledger's rules.
extension CommandTests {
    @Test func participantsAreRegisteredRotatedRevokedAndAuthorisedThroughTheLedger() throws {
        _ = try setUp()
        #expect(try run("key", "generate", "--out", "brand.key").status == 0)
        #expect(try run("key", "generate", "--out", "shop2.key").status == 0)
        let brand = try run(
            "participant", "add", "--ledger", "l.db", "--id", "acme", "--name", "Acme Apparel", "--role", "brand",
            "--role", "manufacturer", "--prefix", "0614141", "--gln", "0614141000005", "--key", "brand.key")
        #expect(brand.lines == ["0"], "\(brand.stderr)")
        #expect(
            try run(
                "participant", "add", "--ledger", "l.db", "--id", "shop", "--name", "Shop", "--role", "marketplace",
                "--key", "farm.key"
            ).lines == ["1"])
        // Refusals say why, exit 2 and append nothing.
        let notBrandKey = try run(
            "authorize", "--ledger", "l.db", "--brand", "acme", "--channel", "shop", "--as", "farm.key")
        #expect(notBrandKey.status == 2)
        #expect(notBrandKey.stderr.contains("must be signed by a current key of the brand 'acme'"))
        let duplicate = try run(
            "participant", "add", "--ledger", "l.db", "--id", "acme", "--name", "X", "--role", "brand", "--key",
            "shop2.key")
        #expect(duplicate.status == 2)
        #expect(duplicate.stderr.contains("already registered"))
        let badRole = try run(
            "participant", "add", "--ledger", "l.db", "--id", "x", "--name", "X", "--role", "pirate", "--key",
            "shop2.key")
        #expect(badRole.status == 64)
        #expect(
            try run("authorize", "--ledger", "l.db", "--brand", "acme", "--channel", "shop", "--as", "brand.key").lines
                == ["2"])
        #expect(
            try run(
                "participant", "rotate", "--ledger", "l.db", "--id", "shop", "--add-key", "shop2.key", "--retire-key",
                "farm.key"
            ).lines == ["3"])
        #expect(try run("participant", "revoke", "--ledger", "l.db", "--id", "acme", "--reason", "left").lines == ["4"])
        let listing = try run("participant", "list", "--ledger", "l.db", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: listing.stdout) as? [String: Any])
        #expect(object["size"] as? Int == 5)
        let participants = try #require(object["participants"] as? [[String: Any]])
        #expect(participants.compactMap { $0["id"] as? String } == ["acme", "shop"])
        #expect(participants[0]["revokedAt"] as? Int == 4)
        let shopKeys = try #require(participants[1]["keys"] as? [[String: Any]])
        #expect(shopKeys.compactMap { $0["status"] as? String } == ["retired at 3", "current"])
        #expect((object["authorizations"] as? [[String: Any]])?.first?["grantedAt"] as? Int == 2)
        let earlier = try run("participant", "list", "--ledger", "l.db", "--at", "2")
        #expect(earlier.output.contains("shop  Shop  [marketplace]  registered at 1"))
        #expect(!earlier.output.contains("authorisation"))
        #expect(!earlier.output.contains("REVOKED"))
        // The revoked brand can no longer authorise.
        let revoked = try run(
            "authorize", "--ledger", "l.db", "--brand", "acme", "--channel", "shop", "--as", "brand.key", "--withdraw")
        #expect(revoked.status == 2)
        #expect(revoked.stderr.contains("revoked at record 4"))
        #expect(try run("verify", "--ledger", "l.db").status == 0)
    }

    /// A live-stream: the brand authorises a marketplace from 20:00 until 22:00 Beijing time; a listing is judged
    /// at its time (`--at`), and the window shows in the registry listing.
    @Test func anAuthorisationWithATimeWindowJudgesListingsAtTheirTime() throws {
        _ = try setUp()
        try addBrand()
        #expect(
            try run(
                "participant", "add", "--ledger", "l.db", "--id", "live", "--name", "Live Room", "--role",
                "marketplace", "--key", "farm.key"
            ).status == 0)
        let commission =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-09-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.1"]}"#
        #expect(
            try run("record", "--ledger", "l.db", "--as", "brand.key", "-", stdin: Data(commission.utf8)).lines == ["2"]
        )
        let (from, until) = ("2026-12-12T20:00:00+08:00", "2026-12-12T22:00:00+08:00")
        func authorize(_ extra: [String]) throws -> CLI.Result {
            try CLI.run(
                ["authorize", "--ledger", "l.db", "--brand", "acme", "--channel", "live", "--as", "brand.key"] + extra,
                in: folder)
        }
        // A window that ends before it starts, a time without a zone, a withdrawal with a window: refused, exit 2.
        for (bad, says) in [
            (["--from", until, "--until", from], "'validUntil' must be after 'validFrom'"),
            (["--from", "2026-12-12T20:00:00"], "'validFrom' must be a date and time with a zone"),
            (["--withdraw", "--until", until], "no --from or --until"),
        ] {
            let refused = try authorize(bad)
            #expect(refused.status == 2 && refused.stderr.contains(says), "\(bad): \(refused.stderr)")
        }
        #expect(try authorize(["--from", from, "--until", until]).lines == ["3"])
        let listed = try run("participant", "list", "--ledger", "l.db")
        #expect(listed.output.contains("authorisation  acme → live  from 3  valid from \(from) until \(until)"))
        let json = try run("participant", "list", "--ledger", "l.db", "--json")
        let registry = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let authorization = try #require((registry["authorizations"] as? [[String: Any]])?.first)
        #expect(authorization["validFrom"] as? String == from && authorization["validUntil"] as? String == until)

        func reasons(at time: String) throws -> (at: String?, reasons: [String], messages: [String]) {
            let checked = try run(
                "check-listing", "--ledger", "l.db", "--code", "urn:epc:id:sgtin:0614141.112345.1", "--seller", "live",
                "--at", time, "--json")
            let result = try #require(try JSONSerialization.jsonObject(with: checked.stdout) as? [String: Any])
            let findings = result["findings"] as? [[String: Any]] ?? []
            return (
                result["at"] as? String, findings.compactMap { $0["reason"] as? String },
                findings.compactMap { $0["message"] as? String }
            )
        }
        // During the stream the seller is authorised (it is not the product's custodian: that finding stays).
        let during = try reasons(at: "2026-12-12T21:00:00+08:00")
        #expect(during.at == "2026-12-12T13:00:00.000Z")
        #expect(during.reasons == ["SELLER_NOT_CUSTODIAN"])
        let after = try reasons(at: "2026-12-12T22:30:00+08:00")
        #expect(after.reasons == ["SELLER_NOT_AUTHORISED", "SELLER_NOT_CUSTODIAN"])
        #expect(
            after.messages.first
                == "'acme' authorises 'live' from \(from) until \(until), not at 2026-12-12T14:30:00.000Z")
        let badTime = try run(
            "check-listing", "--ledger", "l.db", "--code", "urn:epc:id:sgtin:0614141.112345.1", "--seller", "live",
            "--at", "after the stream")
        #expect(badTime.status == 2 && badTime.stderr.contains("--at must be a date and time with a zone"))
        #expect(try run("verify", "--ledger", "l.db").status == 0)
    }

    /// Generates `brand.key` and registers it as the brand Acme (company prefix 0614141).
    func addBrand() throws {
        #expect(try run("key", "generate", "--out", "brand.key").status == 0)
        #expect(
            try run(
                "participant", "add", "--ledger", "l.db", "--id", "acme", "--name", "Acme", "--role", "brand",
                "--prefix", "0614141", "--key", "brand.key"
            ).status == 0)
    }

    @Test func recordAndImportApplyTheLedgerRulesAndAppendNothingOnRefusal() throws {
        _ = try setUp()
        try addBrand()
        #expect(
            try run(
                "participant", "add", "--ledger", "l.db", "--id", "farm", "--name", "Farm", "--role", "origin",
                "--prefix", "8901234", "--key", "farm.key"
            ).status == 0)
        func document(_ events: [String]) -> Data {
            Data(
                (#"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z","epcisBody":{"eventList":["#
                    + events.joined(separator: ",") + "]}}").utf8)
        }
        func event(_ serial: Int, step: String = "commissioning", action: String = "ADD") -> String {
            #"{"type":"ObjectEvent","eventTime":"2026-09-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"\#(action)","bizStep":"\#(step)","epcList":["urn:epc:id:sgtin:0614141.112345.\#(serial)"]}"#
        }
        try document([event(1)]).write(to: folder.appendingPathComponent("one.json"))
        let recorded = try run("record", "--ledger", "l.db", "--as", "brand.key", "one.json")
        #expect(recorded.lines == ["2"], "\(recorded.stderr)")
        let again = try run("record", "--ledger", "l.db", "--as", "brand.key", "one.json")
        #expect(again.status == 2)
        #expect(again.stderr.contains("is already record 2"))
        let farm = try run("record", "--ledger", "l.db", "--as", "farm.key", "-", stdin: document([event(9)]))
        #expect(farm.status == 2)
        #expect(farm.stderr.contains("may not commission GTIN 10614141123459"))
        // A document with one refused event: nothing is recorded.
        try document([event(2), event(3), event(1), event(4, step: "shipping", action: "OBSERVE")])
            .write(to: folder.appendingPathComponent("many.json"))
        let whole = try run("import", "--ledger", "l.db", "--as", "brand.key", "many.json")
        #expect(whole.status == 2)
        #expect(whole.stderr.contains("nothing recorded: event 2 (epcisBody.eventList[2]) refused"))
        #expect(try run("entry", "--ledger", "l.db", "3").status == 2)
        // With --continue-on-error the others are recorded, in order, and the refusal is reported.
        let partial = try run(
            "import", "--ledger", "l.db", "--as", "brand.key", "--continue-on-error", "--json", "many.json")
        #expect(partial.status == 2)
        let report = try #require(try JSONSerialization.jsonObject(with: partial.stdout) as? [String: Any])
        let done = try #require(report["recorded"] as? [[String: Any]])
        #expect(done.compactMap { $0["seq"] as? Int } == [3, 4, 5])
        #expect(done.compactMap { $0["index"] as? Int } == [0, 1, 3])
        let refused = try #require(report["refused"] as? [[String: Any]])
        #expect(refused.count == 1)
        #expect(refused.first?["existing"] as? Int == 2)
        #expect(refused.first?["code"] as? String == "record.duplicate")
        // An invalid document is refused with every problem, before anything is signed.
        let invalid = try run(
            "import", "--ledger", "l.db", "--as", "brand.key", "-", stdin: document([event(7, action: "CREATE")]))
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("epcisBody.eventList[0].action"))
        #expect(try run("verify", "--ledger", "l.db").status == 0)
    }
}
