import Foundation
import Testing

/// Sealed records through the CLI (Specs/23): recorded sealed, a field erased by the operator, the audit counting
/// it, and a consumer's bundle that verifies offline and names one serial only.
extension CommandTests {
    @Test func sealedRecordsAreErasedAuditedAndBundledForAConsumer() throws {
        let vkey = try setUp()
        try addBrand()
        let document =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z","epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2026-09-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.TS-0001","urn:epc:id:sgtin:0614141.112345.TS-0002"],"bizLocation":{"id":"urn:epc:id:sgln:0614141.00001.0"}}]}}"#
        try Data(document.utf8).write(to: folder.appendingPathComponent("made.json"))
        let recorded = try run("record", "--ledger", "l.db", "--as", "brand.key", "--seal", "made.json")
        #expect(recorded.lines == ["1"], "\(recorded.stderr)")
        // Erase the place, with a reason; then the record's other fields are still an event.
        let erased = try run(
            "erase", "--ledger", "l.db", "--record", "1", "--field", "bizLocation", "--reason", "the site's address",
            "--json")
        #expect(erased.status == 0, "\(erased.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: erased.stdout) as? [String: Any])
        #expect(summary["erasure"] as? Int == 2 && summary["record"] as? Int == 1)
        #expect((summary["digests"] as? [String])?.count == 2 && summary["remainsEvent"] as? Bool == true)
        // Refused: the same field again, a record that is not sealed, no reason (exit 2, nothing recorded).
        for arguments in [
            ["--record", "1", "--field", "bizLocation", "--reason", "again"],
            ["--record", "0", "--reason", "not sealed"], ["--record", "1", "--field", "bizStep", "--reason", ""],
        ] {
            let refused = try CLI.run(["erase", "--ledger", "l.db"] + arguments, in: folder)
            #expect(refused.status == 2, "\(arguments): \(refused.stderr)")
        }
        let audit = try run("verify", "--ledger", "l.db")
        #expect(audit.status == 0, "\(audit.output)")
        #expect(audit.output.contains("1 sealed records") && audit.output.contains("2 erased"))
        // A consumer's bundle: the step, serial TS-0001 and not TS-0002, checked offline.
        let code = "https://id.gs1.org/01/10614141123459/21/TS-0001"
        #expect(try run("bundle", "--ledger", "l.db", "--consumer", code, "--out", "consumer.json").status == 0)
        let bundle = try Data(contentsOf: folder.appendingPathComponent("consumer.json"))
        #expect(!String(decoding: bundle, as: UTF8.self).contains("TS-0002"))
        let verified = try run("verify-bundle", "consumer.json", "--vkey", vkey)
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.contains("1 sealed records"))
        #expect(verified.output.contains("commissioning"))
    }
}
