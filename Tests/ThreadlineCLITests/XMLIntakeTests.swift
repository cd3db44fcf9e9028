import Foundation
import Testing
import ThreadlineTestSupport

/// The formats factories already have, end to end: EPCIS 1.2 and 2.0 XML imported and recorded, locally and through
/// the server, each event recorded as its JSON-LD form with the hash the XML itself has (Specs/08 §6).
struct XMLIntakeTests {
    /// The factory's batch in EPCIS 1.2 XML, as a legacy system writes it: CBV URNs, the quantity list inside
    /// `extension`, the event ID inside `baseExtension`, a vendor extension in its own namespace.
    static let legacyBatch = """
        <?xml version="1.0" encoding="UTF-8"?>
        <epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:mill="https://mill.example/epcis"
            schemaVersion="1.2" creationDate="2026-09-01T00:00:00Z">
          <EPCISBody>
            <EventList>
              <ObjectEvent>
                <eventTime>2026-09-01T01:00:00Z</eventTime>
                <eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
                <baseExtension><eventID>urn:uuid:1f1b1c52-6b1e-4a0b-9a55-3c0f5c3b0001</eventID></baseExtension>
                <epcList/>
                <action>ADD</action>
                <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
                <extension>
                  <quantityList>
                    <quantityElement>
                      <epcClass>\(ClientTests.fabric)</epcClass><quantity>500</quantity><uom>MTR</uom>
                    </quantityElement>
                  </quantityList>
                </extension>
                <mill:loom>L-07</mill:loom>
              </ObjectEvent>
              <ObjectEvent>
                <eventTime>2026-09-01T02:00:00Z</eventTime>
                <eventTimeZoneOffset>+08:00</eventTimeZoneOffset>
                <epcList/>
                <action>OBSERVE</action>
                <bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>
                <disposition>urn:epcglobal:cbv:disp:in_transit</disposition>
                <extension>
                  <quantityList>
                    <quantityElement>
                      <epcClass>\(ClientTests.fabric)</epcClass><quantity>500</quantity><uom>MTR</uom>
                    </quantityElement>
                  </quantityList>
                  <destinationList>
                    <destination type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:pgln:0614141.00000</destination>
                  </destinationList>
                </extension>
              </ObjectEvent>
            </EventList>
          </EPCISBody>
        </epcis:EPCISDocument>
        """

    struct Report: Decodable {
        struct Recorded: Decodable {
            let seq: Int64
            let hash: String
        }
        let recorded: [Recorded]
    }

    @Test func aLegacyXMLBatchImportsThroughTheServerWithItsOwnHashes() async throws {
        let (server, _, machines, _) = try await ClientTests.network()
        defer { server.process.terminate() }
        let factory = machines["factory"]!
        try factory.write("batch.xml", Self.legacyBatch)
        // The hashes the XML has, by itself.
        let hashes = try factory.run("event-hash", "batch.xml")
        #expect(hashes.status == 0, "\(hashes.stderr)")
        #expect(hashes.lines.count == 2)
        let imported = try factory.run("import", "--remote", "hub", "--as", "factory.key", "--json", "batch.xml")
        #expect(imported.status == 0, "\(imported.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: imported.stdout)
        #expect(report.recorded.map(\.hash) == hashes.lines)
        // Recorded again, it is the same event: refused as a duplicate, in XML as in JSON-LD.
        let converted = try factory.run("convert", "batch.xml")
        try factory.write("batch.json", converted.output)
        let again = try factory.run("import", "--remote", "hub", "--as", "factory.key", "batch.json")
        #expect(again.status == 2)
        #expect(again.stderr.contains("duplicate") || again.output.contains("duplicate"), "\(again.stderr)")
    }

    @Test func xmlIsRecordedLocallyAsItsJSONLDFormAndProblemsNameTheirLine() throws {
        let folder = try CLI.folder()
        func run(_ arguments: String...) throws -> CLI.Result { try CLI.run(arguments, in: folder) }
        #expect(try run("init", "--ledger", "l.db", "--origin", "example.com/l").status == 0)
        #expect(try run("key", "generate", "--out", "factory.key").status == 0)
        #expect(
            try run(
                "participant", "add", "--ledger", "l.db", "--id", "factory", "--name", "Factory", "--role",
                "manufacturer", "--prefix", "8801234", "--key", "factory.key"
            ).status == 0)
        try Data(Self.legacyBatch.utf8).write(to: folder.appendingPathComponent("batch.xml"))
        let imported = try run("import", "--ledger", "l.db", "--as", "factory.key", "batch.xml")
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.lines.last?.hasPrefix("recorded 2 of 2 events") == true)
        // The ledger holds the JSON-LD form: the vendor extension under its namespace's prefix.
        let events = try run("events", "--ledger", "l.db", "--json")
        #expect(events.output.contains("mill:loom"), "\(events.output.prefix(400))")

        // A bad event in XML: refused, naming the line its event starts on; nothing recorded.
        let bad = Self.legacyBatch.replacingOccurrences(of: "<action>OBSERVE</action>", with: "<action>SEND</action>")
        try Data(bad.utf8).write(to: folder.appendingPathComponent("bad.xml"))
        let refused = try run("record", "--ledger", "l.db", "--as", "factory.key", "bad.xml")
        #expect(refused.status == 2)
        let imported2 = try run("import", "--ledger", "l.db", "--as", "factory.key", "bad.xml")
        #expect(imported2.status == 2)
        #expect(imported2.stderr.contains("line 22, epcisBody.eventList[1].action"), "\(imported2.stderr)")
        #expect(imported2.stderr.contains("SEND"))

        // An event the XML reader cannot read refuses the document; with --continue-on-error, only itself.
        let unknown = Self.legacyBatch.replacingOccurrences(
            of: "<mill:loom>L-07</mill:loom>", with: "<loom>L-07</loom>"
        )
        .replacingOccurrences(of: "2026-09-01T02:00:00Z", with: "2026-09-01T03:00:00Z")
        .replacingOccurrences(of: "1f1b1c52-6b1e-4a0b-9a55-3c0f5c3b0001", with: "1f1b1c52-6b1e-4a0b-9a55-3c0f5c3b0002")
        try Data(unknown.utf8).write(to: folder.appendingPathComponent("unknown.xml"))
        let whole = try run("import", "--ledger", "l.db", "--as", "factory.key", "unknown.xml")
        #expect(whole.status == 2)
        #expect(whole.stderr.contains("<loom> is not a field of an EPCIS ObjectEvent"), "\(whole.stderr)")
        let some = try run(
            "import", "--ledger", "l.db", "--as", "factory.key", "--continue-on-error", "--json", "unknown.xml")
        #expect(some.status == 2)
        struct Report: Decodable {
            struct Entry: Decodable {
                let index: Int
                let code: String?
            }
            let recorded: [Entry]
            let refused: [Entry]
        }
        let report = try JSONDecoder().decode(Report.self, from: some.stdout)
        #expect(report.recorded.map(\.index) == [1])
        #expect(report.refused.map(\.index) == [0])
        #expect(report.refused.first?.code == "epcis.xml.element")

        // A document type declaration is refused before anything is parsed.
        let dtd = "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<x>&e;</x>"
        let entity = try CLI.run(["event-hash", "-"], in: folder, stdin: Data(dtd.utf8))
        #expect(entity.status == 2)
        #expect(entity.stderr.contains("document type declaration"), "\(entity.stderr)")
    }

    @Test func convertWritesEitherFormAndKeepsTheHashes() throws {
        let folder = try CLI.folder()
        try Data(Self.legacyBatch.utf8).write(to: folder.appendingPathComponent("batch.xml"))
        let original = try CLI.run(["event-hash", "batch.xml"], in: folder)
        let xml = try CLI.run(["convert", "--to", "xml", "batch.xml"], in: folder)
        #expect(xml.status == 0, "\(xml.stderr)")
        #expect(xml.output.contains("urn:epcglobal:epcis:xsd:2"))
        #expect(xml.output.contains("<bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>"))
        let again = try CLI.run(["event-hash", "-"], in: folder, stdin: xml.stdout)
        #expect(again.lines == original.lines)
        let json = try CLI.run(["convert", "-"], in: folder, stdin: xml.stdout)
        #expect(try CLI.run(["event-hash", "-"], in: folder, stdin: json.stdout).lines == original.lines)
        #expect(try CLI.run(["convert", "--version", "1.2", "batch.xml"], in: folder).status != 0)
        // A key JSON-LD allows and XML cannot name: refused, exit 2.
        let unwritable =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-09-01T00:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:0614141.107346.1"],"action":"ADD",":":"v"}"#
        let refused = try CLI.run(["convert", "--to", "xml", "-"], in: folder, stdin: Data(unwritable.utf8))
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("cannot be an XML element or attribute name"))
    }
}
