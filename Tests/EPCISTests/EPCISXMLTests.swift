import EPCIS
@testable import EPCISXML
import Foundation
import Testing
import ThreadlineTestSupport

/// The XML binding read against the peers' corpora: the same events and hashes as their JSON-LD twins, the
/// reference hashes, every 1.2 document, and each invalid file refused for its own reason.
@Suite struct EPCISXMLTests {
    static let xml20 = Corpus.files(under: "epcis-openepcis/XML/2.0/Documents", extensions: ["xml"])
    static let twins = xml20.filter { twin(of: $0) != nil }
    static let xml12 = Corpus.files(under: "epcis-openepcis/XML/1.2/Documents", extensions: ["xml"])
    static let events20 = Corpus.files(under: "epcis-openepcis/XML/2.0/Events", extensions: ["xml"])
    static let hashExamples = Corpus.files(under: "epcis-event-hash/tests/examples", extensions: ["xml"])
    /// Read in the order the fields come: the 2.0 schema's order is not theirs.
    static let jumbled: Set<String> = ["epcis-openepcis/XML/2.0/Documents/JumbledFieldsOrder.xml"]

    static func twin(of xml: String) -> String? {
        let name = (xml as NSString).lastPathComponent.replacingOccurrences(of: ".xml", with: ".json")
        let path = "epcis-openepcis/Capture/Documents/" + name
        return FileManager.default.fileExists(atPath: Corpus.vectors.appendingPathComponent(path).path) ? path : nil
    }

    static func read(_ file: String) throws -> EPCISDocument {
        let xml = try EPCISXMLReader.read(Array(try Corpus.bytes(file)), anyOrder: jumbled.contains(file))
        return try EPCISDocument(json: xml.json)
    }

    @Test("there are the 2.0 documents with twins the corpus promises")
    func corpusSize() {
        #expect(Self.twins.count >= 35)
        #expect(Self.xml12.count >= 19)
        #expect(Self.hashExamples.count >= 10)
    }

    @Test("a 2.0 XML document gives the events and hashes of its JSON-LD twin", arguments: twins)
    func sameAsTwin(file: String) throws {
        let xml = try Self.read(file)
        let json = try EPCISDocument(parsing: try Corpus.bytes(Self.twin(of: file)!))
        #expect(xml.events.map(\.kind) == json.events.map(\.kind))
        #expect(xml.eventHashes == json.eventHashes)
        #expect(xml.events.map(\.bizStep) == json.events.map(\.bizStep))
    }

    @Test("the jumbled document is refused in the schema's order, naming the field out of place")
    func jumbledRefused() throws {
        let file = Self.jumbled.first!
        #expect {
            _ = try EPCISXMLReader.read(Array(try Corpus.bytes(file)))
        } throws: { error in
            let problems = (error as? EPCISValidationError)?.problems ?? []
            return problems.count == 1 && problems[0].code == "epcis.xml.order"
                && problems[0].message.contains("<eventTimeZoneOffset> comes after <disposition>")
        }
    }

    @Test("every XML example of the reference hash gives its .hashes", arguments: hashExamples)
    func referenceHashes(file: String) throws {
        let expected = String(decoding: try Corpus.bytes(String(file.dropLast(3)) + "hashes"), as: UTF8.self)
            .split(whereSeparator: \.isNewline).map(String.init)
        // The reference's examples are about hashes, not the schema's order: read as they come.
        let xml = try EPCISXMLReader.read(Array(try Corpus.bytes(file)), anyOrder: true)
        let document = try EPCISDocument(json: xml.json)
        guard file.hasSuffix("/SensorDataExamples.xml") else { return #expect(document.eventHashes == expected) }
        // Here sensor reports name types and components by CURIEs in a namespace the document declares
        // (`example:Ghi`). The reference's XML reader leaves such values as written; JSON-LD, and the hash of the
        // JSON-LD form the ledger signs, expand them (Specs/08 §6.4). Every other event has the reference's hash.
        func userCURIE(_ event: EPCISEvent) -> Bool {
            event.sensorElementList.contains { element in
                (element["sensorReport"]?.elements ?? []).contains { report in
                    ["type", "component", "exception"].contains {
                        report[$0]?.stringValue?.hasPrefix("example:") == true
                    }
                }
            }
        }
        let plain = document.events.indices.filter { !userCURIE(document.events[$0]) }
        #expect(plain.count == 7)
        #expect(plain.map { document.events[$0].hash() } == plain.map { expected[$0] })
    }

    @Test("every 1.2 document reads as valid 2.0 events", arguments: xml12)
    func legacy(file: String) throws {
        let xml = try EPCISXMLReader.read(Array(try Corpus.bytes(file)))
        // One is a 2.0 document (its namespace and schemaVersion say so) written with qualified fields; one is a
        // bare event with none of 1.2's wrappers, which reads the same in either version.
        let twoPointO = ["Document_with_namespace.xml", "Single_event.xml"]
        #expect(xml.version == (twoPointO.contains { file.hasSuffix("/" + $0) } ? "2.0" : "1.2"))

        let document = try EPCISDocument(json: xml.json)
        #expect(!document.events.isEmpty)
        #expect(document.events.count == xml.eventLines.count)
    }

    @Test("every single 2.0 event reads", arguments: events20)
    func singleEvents(file: String) throws {
        let document = try Self.read(file)
        #expect(document.events.count == 1)
    }

    @Test(
        "each invalid 2.0 file is refused for its own reason",
        arguments: [
            ("ObjectEvent_bare_event_without_action.xml", "epcis.required", "action"),
            ("ObjectEvent_with_invalid_action.xml", "epcis.action", "CREATE"),
            ("ObjectEvent_with_invalid_eventTime_format.xml", "epcis.time", "22-07-2026"),
            ("ObjectEvent_with_near_miss_action.xml", "epcis.action", "OBSERV"),
            ("ObjectEvent_with_unknown_element.xml", "epcis.xml.element", "madeUpField"),
            ("ObjectEvent_with_wrong_element_order.xml", "epcis.xml.order", "<eventTime> comes after <action>"),
            ("ObjectEvent_without_eventTime.xml", "epcis.required", "eventTime"),
        ])
    func invalid(file: String, code: String, naming: String) throws {
        let bytes = Array(try Corpus.bytes("epcis-openepcis/XML/2.0/Invalid/" + file))
        #expect {
            _ = try EPCISDocument(json: try EPCISXMLReader.read(bytes).json)
        } throws: { error in
            let problems = (error as? EPCISValidationError)?.problems ?? []
            return problems.contains { $0.code == code && ($0.message + $0.path).contains(naming) }
        }
    }

    @Test("the invalid files are all covered")
    func invalidCovered() {
        #expect(Corpus.files(under: "epcis-openepcis/XML/2.0/Invalid", extensions: ["xml"]).count == 7)
    }
}

/// XML written back: every event keeps its hash through XML → JSON-LD → XML, and what is written is valid against
/// the EPCIS 2.0 schema.
@Suite struct EPCISXMLWriterTests {
    static let inputs = EPCISXMLTests.xml20 + EPCISXMLTests.xml12

    /// Reads a corpus document in whatever form it is.
    static func document(_ file: String) throws -> EPCISDocument {
        let bytes = Array(try Corpus.bytes(file))
        return try EPCISDocument(json: try EPCISInput(bytes, anyOrder: EPCISXMLTests.jumbled.contains(file)).json)
    }

    @Test("XML → JSON-LD → XML keeps every event's hash", arguments: inputs + Corpus.validDocuments)
    func roundTrip(file: String) throws {
        let original = try Self.document(file)
        let xml = try EPCISXMLWriter.document(original)
        let again = try EPCISDocument(json: try EPCISXMLReader.read(Array(xml.utf8)).json)
        #expect(again.eventHashes == original.eventHashes)
        // After one pass the XML is a fixed point (the first may reorder a sensor report's attributes).
        let written = try EPCISXMLWriter.document(again)
        let third = try EPCISDocument(json: try EPCISXMLReader.read(Array(written.utf8)).json)
        #expect(try EPCISXMLWriter.document(third) == written)
    }

    @Test("what is written validates against the official EPCIS 2.0 XML schema")
    func peer() throws {
        guard PythonPeer.installed("lxml") || ProcessInfo.processInfo.environment["CI"] != nil
        else { return }
        let folder = try TemporaryFolder.make("xsd")
        var expected: [String: [String]] = [:]
        for (i, file) in Self.inputs.enumerated() {
            let document = try Self.document(file)
            let path = folder.appendingPathComponent("\(i).xml").path
            try Data(try EPCISXMLWriter.document(document).utf8).write(to: URL(fileURLWithPath: path))
            expected[path] = document.events.map { $0.hash() }
        }
        let xsd = Corpus.vectors.appendingPathComponent("epcis-xsd/EPCglobal-epcis-2_0.xsd").path
        let (status, output) = try PythonPeer.run(
            [xsd] + expected.keys.sorted(), script: "EPCISTests/xsd_peer.py")
        #expect(status == 0)
        var checked = 0
        for line in output.split(separator: "\n") {
            let report = try JSONDecoder().decode(PeerReport.self, from: Data(line.utf8))
            #expect(report.valid, "\(report.file): \(report.error)")
            #expect(expected[report.file] != nil)
            checked += 1
        }
        #expect(checked == expected.count)
    }

    struct PeerReport: Decodable {
        let file: String
        let valid: Bool
        let error: String
    }
}

extension EPCISXMLTests {
    @Test("a document over libxml2's 10 MB single-chunk limit reads whole")
    func large() throws {
        let event = """
            <ObjectEvent><eventTime>2026-09-01T00:00:00Z</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>\
            <epcList><epc>urn:epc:id:sgtin:8801234.012345.%d</epc></epcList><action>ADD</action>\
            <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep></ObjectEvent>

            """
        let count = 50_000
        var xml =
            #"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" "#
            + #"creationDate="2026-09-01T00:00:00Z"><EPCISBody><EventList>"# + "\n"
        for i in 0..<count { xml += event.replacingOccurrences(of: "%d", with: String(i)) }
        xml += "</EventList></EPCISBody></epcis:EPCISDocument>"
        #expect(xml.utf8.count > 10_000_000)
        let document = try EPCISDocument(json: try EPCISXMLReader.read(Array(xml.utf8)).json)
        #expect(document.events.count == count)
        #expect(document.events.last?.epcList == ["urn:epc:id:sgtin:8801234.012345.\(count - 1)"])
    }

    /// A 1.2 document's events, read one by one as each ends: in document order across 1.2's `extension`
    /// wrappers, each with its own line, and nothing of one event (an attribute, a text) left in the next, whose
    /// elements are those of the one before, used again.
    @Test("events read as each ends keep their order, lines and own values")
    func eventsOneByOne() throws {
        func object(_ serial: Int, _ transaction: String) -> String {
            "<ObjectEvent><eventTime>2026-09-01T00:00:0\(serial)Z</eventTime>"
                + "<eventTimeZoneOffset>+08:00</eventTimeZoneOffset><epcList><epc>urn:epc:id:sgtin:8801234.012345.\(serial)"
                + "</epc></epcList><action>OBSERVE</action><bizTransactionList>\(transaction)</bizTransactionList>"
                + "</ObjectEvent>\n"
        }
        let transformation =
            "<extension><TransformationEvent><eventTime>2026-09-01T00:00:02Z</eventTime>"
            + "<eventTimeZoneOffset>+08:00</eventTimeZoneOffset><inputEPCList><epc>urn:epc:id:sgtin:8801234.012345.1"
            + "</epc></inputEPCList><outputEPCList><epc>urn:epc:id:sgtin:8801234.012345.2</epc></outputEPCList>"
            + "</TransformationEvent></extension>\n"
        let xml =
            #"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" "#
            + #"creationDate="2026-09-01T00:00:00Z"><EPCISBody><EventList>"# + "\n"
            + object(
                1, #"<bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epc:id:gdti:0614141.00001.1</bizTransaction>"#)
            + transformation
            + object(3, "<bizTransaction>urn:epc:id:gdti:0614141.00001.3</bizTransaction>")
            + "</EventList></EPCISBody></epcis:EPCISDocument>"
        let read = try EPCISXMLReader.read(Array(xml.utf8))
        #expect(read.eventLines == [2, 3, 4])
        let events = try EPCISDocument(json: read.json).events
        #expect(events.map(\.kind) == [.object, .transformation, .object])
        let times = events.map { $0.json["eventTime"]?.stringValue ?? "" }
        #expect(times == ["2026-09-01T00:00:01Z", "2026-09-01T00:00:02Z", "2026-09-01T00:00:03Z"])
        #expect(events[0].bizTransactionList.count == 1 && events[0].bizTransactionList[0].type != nil)
        #expect(events[2].bizTransactionList.count == 1 && events[2].bizTransactionList[0].type == nil)
        #expect(events[2].epcList == ["urn:epc:id:sgtin:8801234.012345.3"])
    }

    @Test("a body with two event lists is refused, not read in part")
    func twoEventLists() {
        let list =
            "<EventList><ObjectEvent><eventTime>2026-09-01T00:00:00Z</eventTime>"
            + "<eventTimeZoneOffset>+08:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action></ObjectEvent>"
            + "</EventList>"
        let xml =
            #"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" "#
            + #"creationDate="2026-09-01T00:00:00Z"><EPCISBody>"# + list + list + "</EPCISBody></epcis:EPCISDocument>"
        #expect {
            _ = try EPCISXMLReader.read(Array(xml.utf8))
        } throws: { error in
            (error as? EPCISValidationError)?.problems.contains {
                $0.code == "epcis.xml.element" && $0.message.contains("2 <EventList>")
            } == true
        }
    }
}

/// The two ways into libxml2 — its SAX2 interface, and Foundation's `XMLParser` — build the same tree.
@Suite struct XMLTreeParityTests {
    static let tricky = [
        #"<r xmlns:a="urn:a" a:x="1 &amp; 2 &lt; 3 &#233;" y='q"'><a:b>t&amp;<![CDATA[<c>]]><!-- no -->u</a:b></r>"#,
        #"<r xmlns="urn:d"><e xmlns="">plain</e><f>in&#x20;default</f></r>"#,
        "<r>\n  \u{00A0}kept\u{00A0}\n</r>",
    ]

    @Test(
        "every corpus file, and some tricky ones, read the same both ways",
        arguments: EPCISXMLTests.xml20 + EPCISXMLTests.xml12 + EPCISXMLTests.events20 + EPCISXMLTests.hashExamples
            + tricky)
    func parity(input: String) throws {
        let bytes = input.hasPrefix("<") ? Array(input.utf8) : Array(try Corpus.bytes(input))
        let foundation = try XMLTree.parseFoundation(bytes)
        let tree = try XMLTree.parse(bytes)
        #expect(tree.root == foundation.root)
        #expect(tree.prefixes == foundation.prefixes)
    }

    @Test("malformed XML, a DTD and UTF-16 are refused by both, with the same code")
    func refusals() {
        let inputs: [([UInt8], String)] = [
            (Array("<r><a></r>".utf8), "epcis.xml.wellFormed"),
            (Array("<r>&undefined;</r>".utf8), "epcis.xml.wellFormed"),
            (
                Array("<?xml version=\"1.0\"?><!-- c --><!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>".utf8),
                "epcis.xml.dtd"
            ),
            ([0xFF, 0xFE] + Array("<r/>".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, "epcis.xml.encoding"),
            (Array(String(repeating: "<a>", count: 100).utf8), "epcis.xml.depth"),
            ([], "epcis.xml.wellFormed"),
        ]
        for (bytes, code) in inputs {
            for foundation in [false, true] {
                #expect {
                    _ = foundation ? try XMLTree.parseFoundation(bytes) : try XMLTree.parse(bytes)
                } throws: { error in
                    (error as? EPCISValidationError)?.problems.first?.code == code
                }
            }
        }
    }
}

/// Shapes the fuzzer found, each refused for what it is rather than read into something that hashes otherwise.
@Suite struct EPCISXMLHostileTests {
    static func event(_ inside: String, namespaces: String = "") -> String {
        #"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" \#(namespaces) schemaVersion="2.0" creationDate="2026-09-01T00:00:00Z"><EPCISBody><EventList><ObjectEvent><eventTime>2026-09-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>\#(inside)</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>"#
    }

    @Test(
        "each is refused with its code",
        arguments: [
            (event("<action>ADD</action><readPoint><id>urn:a:1</id><id>urn:a:2</id></readPoint>"), "epcis.xml.element"),
            (
                event(
                    "<action>ADD</action><quantityList><quantityElement><epcClass>urn:a:1</epcClass>"
                        + "<epcClass>urn:a:2</epcClass></quantityElement></quantityList>"),
                "epcis.xml.element"
            ),
            (
                event("<action>ADD</action><ex:thing><d:cbv:p/></ex:thing>", namespaces: #"xmlns:ex="urn:ex""#),
                "epcis.xml.namespace"
            ),
            (event("<action>ADD</action><undeclared:thing>x</undeclared:thing>"), "epcis.xml.namespace"),
            (#"<?xml version="1.0"? <x>"# + event("<action>ADD</action>") + "</x>", "epcis.xml.wellFormed"),
            (event("<acti\u{FFFD}on>ADD</acti\u{FFFD}on>"), "epcis.xml.element"),
        ])
    func refused(xml: String, code: String) {
        #expect {
            _ = try EPCISDocument(json: try EPCISInput(Array(xml.utf8)).json)
        } throws: { error in
            (error as? EPCISValidationError)?.problems.contains { $0.code == code } == true
        }
    }

    @Test(
        "an extension key XML cannot name is refused by the writer, not a crash", arguments: [":", ":x", "x:", "a:b:c"])
    func unwritableKey(key: String) throws {
        let json =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"a":"urn:a","x":"urn:x"}],"type":"ObjectEvent","eventTime":"2026-09-01T00:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:0614141.107346.1"],"action":"ADD",""#
            + key + #"":"v"}"#
        // JSON-LD's validator takes any key with a colon as an extension; XML cannot name it.
        let document = try EPCISDocument(parsing: Array(json.utf8))
        #expect(throws: EPCISXMLWriter.Failure.self) { try EPCISXMLWriter.document(document) }
    }

    @Test("bytes that are not UTF-8 are refused: by libxml2 as it reads, before Foundation's bridge sees them")
    func notUTF8() {
        for bytes in [
            Array("<a><b".utf8) + [0xE9] + Array("/></a>".utf8), Array("<?a".utf8) + [0xFF] + Array("?><a/>".utf8),
        ] {
            #expect {
                _ = try EPCISInput(bytes)
            } throws: { error in
                let code = (error as? EPCISValidationError)?.problems.first?.code ?? ""
                return ["epcis.xml.encoding", "epcis.xml.wellFormed"].contains(code)
            }
            #expect {
                _ = try XMLTree.parseFoundation(bytes)
            } throws: { error in
                (error as? EPCISValidationError)?.problems.first?.code == "epcis.xml.encoding"
            }
        }
    }

    @Test("a processing instruction without data is read past (libxml2), never a crash")
    func emptyProcessingInstruction() throws {
        let xml =
            "<?a?>" + Self.event("<epcList><epc>urn:epc:id:sgtin:0614141.107346.1</epc></epcList><action>ADD</action>")
        #if canImport(CLibXML2)
            #expect(try EPCISDocument(json: try EPCISInput(Array(xml.utf8)).json).events.count == 1)
        #endif
        #expect(throws: EPCISValidationError.self) { try XMLTree.parseFoundation(Array(xml.utf8)) }
    }
}
