import EPCIS
import Foundation
import GS1Identifiers
import Testing
import ThreadlineTestSupport
import TransparencyLog

@Suite("EPCIS events and the CBV event hash")
struct EPCISTests {
    static let context =
        #"["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"ex":"https://ns.example.com/"}]"#

    static func document(_ events: String...) -> String {
        #"{"@context":\#(context),"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z","#
            + #""epcisBody":{"eventList":[\#(events.joined(separator: ","))]}}"#
    }

    static let shipping = #"""
        {"type":"ObjectEvent","eventTime":"2026-03-01T10:00:00.000+01:00","eventTimeZoneOffset":"+01:00",
         "epcList":["urn:epc:id:sgtin:4012345.011111.9876","https://id.gs1.org/01/04012345111118/21/1"],
         "action":"OBSERVE","bizStep":"shipping","disposition":"in_transit",
         "readPoint":{"id":"urn:epc:id:sgln:4012345.00005.0"},
         "sourceList":[{"type":"owning_party","source":"urn:epc:id:pgln:4012345.00000"}],
         "ex:note":{"ex:b":"2","ex:a":"1"}}
        """#

    func hash(_ event: String) throws -> String {
        try EPCISDocument(parsing: Array(EPCISTests.document(event).utf8)).eventHashes[0]
    }

    @Test("the hash does not depend on how the event is written")
    func sameEventSameHash() throws {
        let reordered = #"""
            {"ex:note":{"ex:a":"1","ex:b":"2"},"action":"OBSERVE",
             "sourceList":[{"source":"urn:epc:id:pgln:4012345.00000","type":"urn:epcglobal:cbv:sdt:owning_party"}],
             "epcList":["https://example.com/shop/01/04012345111118/21/1?x=1",
                        "https://id.gs1.org/01/04012345111118/21/9876"],
             "type":"ObjectEvent","eventTimeZoneOffset":"+01:00","eventTime":"2026-03-01T09:00:00Z",
             "disposition":"https://ref.gs1.org/cbv/Disp-in_transit","bizStep":"urn:epcglobal:cbv:bizstep:shipping",
             "readPoint":{"id":"https://id.gs1.org/414/4012345000054"}, "recordTime":"2026-03-02T00:00:00Z",
             "eventID":"urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"}
            """#
        #expect(try hash(EPCISTests.shipping) == hash(reordered))
    }

    @Test("any change of substance changes the hash")
    func changesChangeHash() throws {
        let original = try hash(EPCISTests.shipping)
        let changes = [
            ("10:00:00.000+01:00", "10:00:00.001+01:00"), ("9876", "9877"), ("\"OBSERVE\"", "\"ADD\""),
            ("shipping", "receiving"), ("in_transit", "in_progress"), ("00005.0", "00005.1"),
            ("owning_party", "possessing_party"), ("\"ex:b\":\"2\"", "\"ex:b\":\"3\""),
        ]
        for (from, to) in changes {
            let changed = EPCISTests.shipping.replacingOccurrences(of: from, with: to)
            #expect(changed != EPCISTests.shipping)
            #expect(try hash(changed) != original, "changing \(from) to \(to) kept the hash")
        }
    }

    @Test("every corpus event keeps its hash when its members are shuffled", arguments: Corpus.hashExamples)
    func shuffledMembers(file: String) throws {
        let document = try EPCISDocument(parsing: try Corpus.bytes(file))
        var generator = SeededGenerator(state: UInt64(file.utf8.count))
        for event in document.events {
            let shuffled = shuffle(event.json, &generator)
            let again = EventHash.of(shuffled, context: document.context, ignoring: document.ignoredFields)
            #expect(again == event.hash(ignoring: document.ignoredFields))
        }
    }

    /// Shuffles object members everywhere, and the elements of arrays whose order carries no meaning.
    func shuffle(_ value: JSONValue, _ generator: inout SeededGenerator) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(
                members.map { JSONValue.Member($0.key, shuffle($0.value, &generator)) }.shuffled(using: &generator))
        case .array(let elements):
            return .array(elements.map { shuffle($0, &generator) }.shuffled(using: &generator))
        default: return value
        }
    }

    @Test("the typed fields read the CBV terms in any spelling")
    func typedFields() throws {
        let event = try EPCISDocument(parsing: Array(EPCISTests.document(EPCISTests.shipping).utf8)).events[0]
        #expect(event.kind == .object)
        #expect(event.action == .observe)
        #expect(event.bizStep == "https://ref.gs1.org/cbv/BizStep-shipping")
        #expect(event.bizStepTerm == "shipping")
        #expect(event.dispositionTerm == "in_transit")
        #expect(event.eventTime.millis == Timestamp.parse(millis: "2026-03-01T09:00:00.000Z"))
        #expect(
            event.sourceList == [
                .init(type: "https://ref.gs1.org/cbv/SDT-owning_party", value: "urn:epc:id:pgln:4012345.00000")
            ])
        #expect(event.extensions.map(\.key) == ["ex:note"])
    }

    @Test(
        "refusals name the field and say why",
        arguments: [
            (#""action":"OBSERVE""#, #""action":"observe""#, "action", "ADD, OBSERVE or DELETE"),
            (#""bizStep":"shipping""#, #""bizStep":"teleporting""#, "bizStep", "not a CBV 2.0 business step"),
            (#""bizStep":"shipping""#, #""bizStep":"https://ref.gs1.org/cbv/BizStep-flying""#, "bizStep", "CBV"),
            (#""eventTimeZoneOffset":"+01:00""#, #""eventTimeZoneOffset":"+1""#, "eventTimeZoneOffset", "+hh:mm"),
            (
                #""eventTime":"2026-03-01T10:00:00.000+01:00""#, #""eventTime":"2026-03-01T10:00:00""#, "eventTime",
                "zone"
            ),
            (
                #""eventTime":"2026-03-01T10:00:00.000+01:00""#, #""eventTime":"2026-02-30T10:00:00Z""#, "eventTime",
                "date"
            ),
            (#""ex:note""#, #""note""#, "note", "namespace prefix"),
            (#""type":"owning_party""#, #""type":"owner""#, "sourceList[0].type", "source/destination type"),
            (#""readPoint":{"id""#, #""readPoint":{"gln""#, "readPoint", "id"),
            // No white space or control character anywhere in a URI: a tab, a C0 control, DEL, a no-break space.
            (#"sgln:4012345.00005.0""#, #"sgln:4012345.\t00005.0""#, "readPoint.id", "is not a URI"),
            (#"sgln:4012345.00005.0""#, #"sgln:4012345.\u000100005.0""#, "readPoint.id", "is not a URI"),
            (#"sgln:4012345.00005.0""#, #"sgln:4012345.\u007f00005.0""#, "readPoint.id", "is not a URI"),
            (#"sgln:4012345.00005.0""#, #"sgln:4012345.\u00a000005.0""#, "readPoint.id", "is not a URI"),
            (#"sgln:4012345.00005.0""#, #"sgln:4012345.\u008500005.0""#, "readPoint.id", "is not a URI"),
        ])
    func refusals(from: String, to: String, field: String, why: String) throws {
        let bad = EPCISTests.shipping.replacingOccurrences(of: from, with: to)
        #expect(bad != EPCISTests.shipping)
        let error = try #require(throws: EPCISValidationError.self) {
            try EPCISDocument(parsing: Array(EPCISTests.document(bad).utf8))
        }
        #expect(error.problems.contains { $0.path.contains(field) && $0.message.contains(why) }, "\(error)")
    }

    @Test("each event type's own rules")
    func kindRules() throws {
        let base = #""eventTime":"2026-03-01T10:00:00Z","eventTimeZoneOffset":"+00:00""#
        let cases: [(String, String?)] = [
            (
                #"{"type":"AggregationEvent",\#(base),"action":"ADD","childEPCs":["urn:epc:id:sscc:4012345.0000000001"]}"#,
                "parentID"
            ),
            (
                #"{"type":"AggregationEvent",\#(base),"action":"OBSERVE","childEPCs":["urn:epc:id:sscc:4012345.0000000001"]}"#,
                nil
            ),
            (#"{"type":"AssociationEvent",\#(base),"action":"OBSERVE"}"#, "parentID"),
            (
                #"{"type":"TransactionEvent",\#(base),"action":"ADD","epcList":["urn:epc:id:sscc:4012345.0000000001"]}"#,
                "bizTransactionList"
            ),
            (#"{"type":"TransformationEvent",\#(base)}"#, "inputEPCList"),
            (#"{"type":"TransformationEvent",\#(base),"action":"ADD","inputEPCList":["urn:x:1"]}"#, "action"),
            (
                #"{"type":"TransformationEvent",\#(base),"inputQuantityList":[{"epcClass":"urn:x:1","quantity":5,"uom":"KGM"}],"outputQuantityList":[{"epcClass":"urn:x:2","uom":"KGM"}]}"#,
                "uom"
            ),
            (
                #"{"type":"TransformationEvent",\#(base),"inputQuantityList":[{"epcClass":"urn:x:1","quantity":-5}]}"#,
                "quantity"
            ),
            (#"{"type":"ObjectEvent",\#(base),"action":"ADD","epcList":["not a uri"]}"#, "epcList[0]"),
            (#"{"type":"CustomEvent",\#(base)}"#, "type"),
        ]
        for (event, field) in cases {
            let result = Result { try EPCISDocument(parsing: Array(EPCISTests.document(event).utf8)) }
            if let field {
                guard case .failure(let error as EPCISValidationError) = result else {
                    Issue.record("accepted \(event)")
                    continue
                }
                #expect(error.problems.contains { $0.path.hasSuffix(field) }, "\(error)")
            } else {
                #expect(throws: Never.self) { try result.get() }
            }
        }
    }

    @Test("EPC URNs of every scheme become canonical Digital Links")
    func canonicalDigitalLinks() {
        let cases: [(String, String?)] = [
            ("urn:epc:id:sgtin:4012345.011111.9876", "https://id.gs1.org/01/04012345111118/21/9876"),
            ("urn:epc:id:sgtin:0614141.812345.6789%2F!(", "https://id.gs1.org/01/80614141123458/21/6789%2F%21%28"),
            ("urn:epc:class:lgtin:4012345.012345.Lot987", "https://id.gs1.org/01/04012345123456/10/Lot987"),
            ("urn:epc:id:sscc:4012345.3111111111", "https://id.gs1.org/00/340123451111111111"),
            ("urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"),
            ("urn:epc:id:sgln:4012345.00005.122", "https://id.gs1.org/414/4012345000054/254/122"),
            ("urn:epc:id:pgln:999999999999.", "https://id.gs1.org/417/9999999999994"),
            ("urn:epc:id:gdti:987659999999..9", "https://id.gs1.org/253/98765999999929"),
            ("urn:epc:idpat:sgtin:4054739.099914.*", "https://id.gs1.org/01/04054739999148"),
            // The rest of the schemes, as the reference implementation's `dl_normaliser.normaliser` (PyPI
            // epcis-event-hash-generator 1.9.3) gives them.
            ("urn:epc:id:upui:4012345.011111.tpx1", "https://id.gs1.org/01/04012345111118/235/tpx1"),
            ("urn:epc:id:itip:4012345.011111.01.02.987", "https://id.gs1.org/8006/040123451111180102/21/987"),
            ("urn:epc:idpat:itip:4012345.011111.01.02.*", "https://id.gs1.org/8006/040123451111180102"),
            ("urn:epc:id:grai:4012345.99999.XYZ", "https://id.gs1.org/8003/04012345999990XYZ"),
            ("urn:epc:idpat:grai:4012345.99999.*", "https://id.gs1.org/8003/04012345999990"),
            ("urn:epc:id:sgcn:4012345.99999.0123", "https://id.gs1.org/255/40123459999900123"),
            ("urn:epc:idpat:sgcn:4012345.99999.*", "https://id.gs1.org/255/4012345999990"),
            ("urn:epc:idpat:gdti:4012345.99999.*", "https://id.gs1.org/253/4012345999990"),
            ("urn:epc:id:giai:4012345.A(1).b", "https://id.gs1.org/8004/4012345A%281%29.b"),
            ("urn:epc:id:ginc:4012345.X+Y", "https://id.gs1.org/401/4012345X%2BY"),
            ("urn:epc:id:gsrn:4012345.1234567890", "https://id.gs1.org/8018/401234512345678900"),
            ("urn:epc:id:gsrnp:4012345.1234567890", "https://id.gs1.org/8017/401234512345678900"),
            ("urn:epc:id:gsin:4012345.123456789", "https://id.gs1.org/402/40123451234567894"),
            ("urn:epc:id:cpi:4012345.AB-1.123", "https://id.gs1.org/8010/4012345AB-1/8011/123"),
            ("urn:epc:idpat:cpi:4012345.AB-1.*", "https://id.gs1.org/8010/4012345AB-1"),
            ("urn:epc:idpat:upui:4012345.011111.*", "https://id.gs1.org/01/04012345111118"),
            ("urn:epc:id:sgtin:4012345.011111.a:b,c", "https://id.gs1.org/01/04012345111118/21/a%3Ab%2Cc"),
            ("urn:epc:id:sgtin:4012345.011111.", nil),
            ("urn:epc:id:sgtin:4012345.011111", nil),
            ("urn:epc:id:sscc:4012345.311111111", nil),
            ("urn:epc:idpat:sgtin:4054739.099914.7", nil),
            ("urn:epc:id:sgcn:4012345.99999.01x", nil),
            ("urn:epc:id:giai:4012345.", nil),
            ("urn:epc:id:sgtin:40123.011111.1", nil),
            ("urn:epc:id:nope:4012345.011111.1", nil),
            (
                "https://example.com/shop/gtin/9780345418913/ser/765tz?abc=1",
                "https://id.gs1.org/01/09780345418913/21/765tz"
            ),
            ("https://id.gs1.org/01/04012345111118/22/A/10/L1/21/S1", "https://id.gs1.org/01/04012345111118/21/S1"),
            ("urn:epc:id:sgtin:4012345.01111.9876", nil),
            // Forms and schemes are matched whole: no prefix, suffix or padding of a known name.
            ("urn:epc:\u{0}id:sgtin:4012345.011111.9876", nil), ("urn:epc:id:sgtinx:4012345.011111.9876", nil),
            ("urn:epc:id:sgti:4012345.011111.9876", nil), ("urn:epc:ids:sgtin:4012345.011111.9876", nil),
            ("urn:epc:class:sgtin:4012345.011111.9876", nil), ("urn:epc:idpattern:sgtin:4012345.011111.*", nil),
            ("urn:epcglobal:cbv:bt:4012345000009:ASN1099", nil),
            ("https://example.com/about", nil),
        ]
        for (input, expected) in cases { #expect(DigitalLink.canonicalURI(for: input) == expected, "\(input)") }
    }

    @Test(
        "an EPC must be an absolute URI: a scheme, a colon, no spaces or line breaks",
        arguments: [
            ("urn:epc:id:sgtin:4012345.011111.9876", true), ("https://id.gs1.org/01/04012345111118/21/é", true),
            ("x-y.z+1:a", true), ("urn:epc: id", false), ("urn:epc:\\u000bid", false), ("urn:epc:id\\u2028x", false),
            ("1urn:x", false), (":x", false), ("urn:", false), ("ur_n:x", false), ("nocolon", false),
        ])
    func uris(epc: String, valid: Bool) throws {
        let event = try JSONValue(
            parsing: #"{"type":"ObjectEvent","eventTime":"2026-07-22T06:45:00Z","eventTimeZoneOffset":"+00:00","#
                + #""action":"OBSERVE","epcList":["\#(epc)"]}"#)
        let result = Result { try EPCISEvent(json: event) }
        if valid {
            #expect(throws: Never.self) { try result.get() }
        } else {
            let error = #expect(throws: EPCISValidationError.self) { try result.get() }
            #expect(error?.problems.first?.path == "event.epcList[0]")
        }
    }
}

@Suite("JSON values")
struct JSONValueTests {
    @Test("members keep their order and numbers their text")
    func roundTrip() throws {
        let text = #"{"b":1.50,"a":[true,null,"x\"\u00e9\n"],"c":{"z":-0,"y":1E+3}}"#
        let value = try JSONValue(parsing: text)
        #expect(value.members?.map(\.key) == ["b", "a", "c"])
        #expect(value["b"] == .number("1.50"))
        #expect(value["a"]?.elements?[2] == .string("x\"é\n"))
        #expect(value.serialized == #"{"b":1.50,"a":[true,null,"x\"é\n"],"c":{"z":-0,"y":1E+3}}"#)
        #expect(try JSONValue(parsing: value.serialized) == value)
    }

    @Test("strings are read as written, escapes or not, and must be UTF-8")
    func strings() throws {
        #expect(try JSONValue(parsing: [0x22, 0xC3, 0xA9, 0x22]) == .string("é"))
        #expect(
            try JSONValue(parsing: Array(#"["plain", "tab\tand é", "\u00e9x"]"#.utf8))
                == .array([.string("plain"), .string("tab\tand é"), .string("éx")]))
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xFF, 0x5C, 0x6E, 0x22]] {
            let error = #expect(throws: EPCISError.self) { try JSONValue(parsing: bytes) }
            #expect(error?.code == EPCISCode.utf8, "\(bytes)")
        }
    }

    @Test("duplicate names are refused unless asked to keep the last")
    func duplicates() throws {
        let text = #"{"a":1,"b":2,"a":3}"#
        #expect(throws: EPCISError.self) { try JSONValue(parsing: text) }
        let lenient = try JSONValue(parsing: text, duplicateKeys: .lastWins)
        #expect(lenient.members?.map(\.key) == ["a", "b"])
        #expect(lenient["a"] == .number("3"))
        // Large objects too: the parser looks names up in a set once an object has many members.
        for duplicate in [2, 17, 29] {
            let members = (0..<30).map { #""k\#($0)":\#($0)"# } + [#""k\#(duplicate)":"again""#]
            let text = "{" + members.joined(separator: ",") + "}"
            #expect(throws: EPCISError.self) { try JSONValue(parsing: text) }
            let kept = try JSONValue(parsing: text, duplicateKeys: .lastWins)
            #expect(kept.members?.count == 30)
            #expect(kept["k\(duplicate)"] == .string("again"))
        }
    }

    @Test(
        "malformed JSON is refused with its place",
        arguments: [
            "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "[1] 2", "{'a':1}", "\"a\u{01}\"",
            "tru", "1e", String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
        ])
    func malformed(text: String) {
        let error = #expect(throws: EPCISError.self) { try JSONValue(parsing: text) }
        #expect(error?.codeName.hasPrefix("json.") == true)
        #expect(error?.reason.contains("at byte") == true)
    }
}
