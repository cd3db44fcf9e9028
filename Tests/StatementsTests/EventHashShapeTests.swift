@testable import EPCIS
import Foundation
@testable import Statements
import Testing
import ThreadlineTestSupport

/// The event hash writes events of the common shape straight from their members; every other event goes through
/// the general algorithm, which the reference vectors pin. These tests hold the two to the same bytes.
@Suite("The event hash's common-shape writer")
struct EventHashShapeTests {
    /// The pre-hash both ways, and whether the common-shape writer took the event.
    static func both(_ json: JSONValue, _ context: JSONLDContext, _ ignoring: Set<String>) -> (String, String, Bool) {
        var scratch: [UInt8] = []
        let taken = json.members.map {
            EventHash.writeCommonShape($0, context: context, ignoring: ignoring, into: &scratch)
        }
        let direct = EventHash.preHashBytes(of: json, context: context, ignoring: ignoring)
        let general = EventHash.preHashBytes(of: json, context: context, ignoring: ignoring, commonShape: false)
        return (String(decoding: direct, as: UTF8.self), String(decoding: general, as: UTF8.self), taken == true)
    }

    @Test("every event of the corpora hashes the same either way")
    func corpora() throws {
        var events = 0
        var taken = 0
        for file in Corpus.hashExamples + Corpus.validDocuments {
            guard let document = try? EPCISDocument(parsing: try Corpus.bytes(file)) else { continue }
            for event in document.events {
                let (direct, general, common) = Self.both(event.json, event.context, document.ignoredFields)
                #expect(direct == general, "\(file)")
                // And the way a validated event writes it, with what validation found.
                let validated = event.preHashBytes(ignoring: document.ignoredFields)
                #expect(String(decoding: validated, as: UTF8.self) == general, "\(file)")
                events += 1
                if common { taken += 1 }
            }
        }
        #expect(events > 100)
        // Some of the corpora's events are of the common shape, so the comparison covers the direct writer too.
        #expect(taken >= 5)
    }

    static let base: [String: String] = [
        "type": #""ObjectEvent""#, "eventTime": #""2026-05-20T09:30:00.123+02:00""#,
        "eventTimeZoneOffset": #""+02:00""#, "epcList": #"["urn:epc:id:sgtin:4012345.011111.2"]"#,
        "action": #""OBSERVE""#, "bizStep": #""shipping""#, "disposition": #""in_transit""#,
        "readPoint": #"{"id":"urn:epc:id:sgln:4012345.00001.0"}"#,
        "bizLocation": #"{"id":"urn:epc:id:sgln:4012345.00002.7"}"#,
    ]

    /// Changes to the base event, one at a time (a nil value removes the member), and whether the common-shape
    /// writer should take the result.
    static let variations: [(String, String?, Bool)] = [
        (
            "epcList",
            #"["urn:epc:id:sgtin:4012345.011111.2","urn:epc:id:sgtin:4012345.011111.10"," https://example.com/01/04012345111118/21/3 "]"#,
            true
        ),
        ("epcList", "[]", true),
        ("epcList", #"[""," "]"#, true),
        ("epcList", #""urn:epc:id:sgtin:4012345.011111.2""#, false),
        ("epcList", nil, true),
        ("certificationInfo", #""https://cert.example/1""#, true),
        (
            "certificationInfo",
            #"["https://cert.example/b","https://cert.example/a","","urn:epcglobal:cbv:disp:active"]"#, true
        ),
        ("certificationInfo", #"{"id":"x"}"#, false),
        ("bizStep", #""urn:epcglobal:cbv:bizstep:receiving""#, true),
        ("bizStep", #""https://ref.gs1.org/cbv/BizStep-receiving""#, true),
        ("bizStep", #"" shipping ""#, true),
        ("bizStep", #""""#, true),
        ("bizStep", "7", false),
        ("disposition", #""https://example.com/my-disposition""#, true),
        ("disposition", #""urn:epcglobal:cbv:disp:in_progress""#, true),
        ("eventTime", #""2026-05-20T09:30:00Z""#, true),
        ("eventTime", #""2026-05-20T09:30:00.1235-05:30""#, true),
        ("eventTime", #""2026-05-20T09:30:00.0005Z""#, true),
        ("eventTime", #""not a time""#, true),
        ("eventTimeZoneOffset", #""-05:30""#, true),
        ("action", #""DELETE""#, true),
        ("disposition", #""cbv:Disp-active""#, true),
        ("bizStep", #""https://example.com/steps/01/04012345111118""#, true),
        ("readPoint", #"{"id":" "}"#, true),
        ("readPoint", #"{"id":"https://id.gs1.org/414/4012345000016"}"#, true),
        ("readPoint", #"{"id":"x","ex:y":1}"#, false),
        ("readPoint", #"{}"#, false),
        ("bizLocation", nil, true),
        ("parentID", #""urn:epc:id:sscc:4012345.3111111111""#, true),
        ("childEPCs", #"["urn:epc:id:sgtin:4012345.011111.9","urn:epc:id:sgtin:4012345.011111.8"]"#, true),
        ("inputEPCList", #"["urn:epc:class:lgtin:4012345.011111.L1"]"#, true),
        ("outputEPCList", #"["urn:epc:id:sgtin:4012345.022222.1","urn:epc:idpat:sgtin:4012345.022222.*"]"#, true),
        ("transformationID", #""12.50""#, true),
        ("transformationID", #""1e3""#, true),
        ("action", #""ADD""#, true),
        ("action", nil, true),
        ("eventTime", nil, true),
        ("recordTime", #""2026-05-21T00:00:00Z""#, true),
        ("eventID", #""ni:///sha-256;abc?ver=CBV2.0""#, true),
        ("errorDeclaration", #"{"declarationTime":"2026-05-21T00:00:00Z"}"#, true),
        ("@context", #"["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]"#, true),
        ("@context", #"[{"ex":"https://example.com/"}]"#, true),
        ("@context", #"[{"ex":{"@id":"https://example.com/"}}]"#, true),
        ("quantityList", #"[{"epcClass":"urn:epc:class:lgtin:4012345.011111.L1","quantity":2}]"#, false),
        ("ex:field", #""value""#, false),
        ("comment", #""a note""#, false),
        (
            "sourceList",
            #"[{"type":"owning_party","source":"https://example.com/417/4012345000009"},{"source":"urn:epc:id:pgln:4012345.00000","type":"urn:epcglobal:cbv:sdt:possessing_party"}]"#,
            true
        ),
        (
            "destinationList",
            #"[{"type":"https://ref.gs1.org/cbv/SDT-location","destination":"urn:epc:id:sgln:4012345.00002.7"},{"type":"location","destination":"https://id.gs1.org/414/4012345000016"}]"#,
            true
        ),
        ("bizTransactionList", #"[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:4012345000009:PO-1"}]"#, true),
        ("bizTransactionList", #"[{"bizTransaction":"https://example.com/po/2"},{"bizTransaction":"1.50"}]"#, true),
        ("sourceList", "[]", true),
        ("sourceList", #"[{"type":"owning_party","source":" "}]"#, false),
        ("sourceList", #"[{"type":"","source":"urn:x:1"}]"#, false),
        ("sourceList", #"[{"type":"owning_party"}]"#, false),
        ("sourceList", #"[{"type":"owning_party","source":"urn:x:1","ex:y":"z"}]"#, false),
        ("sourceList", #"[{"type":"owning_party","source":{"id":"urn:x:1"}}]"#, false),
        ("sourceList", #"["urn:x:1"]"#, false),
        ("sourceList", #"{"type":"owning_party","source":"urn:x:1"}"#, false),
    ]

    @Test("what validation found writes only what it can vouch for: no empty value, no URI term, no list")
    func validatedWriter() throws {
        let validated = EventHash.Validated(eventTime: try #require(Timestamp.parseDateTime("2026-05-20T09:30:00Z")))
        var out: [UInt8] = []
        #expect(!validated.write(.bizStep, .string(""), into: &out))
        #expect(!validated.write(.bizStep, .string("urn:epcglobal:cbv:bizstep:shipping"), into: &out))
        #expect(!validated.write(.disposition, .string("cbv:Disp-active"), into: &out))
        #expect(!validated.write(.action, .string(""), into: &out))
        #expect(!validated.write(.epcList, .array([]), into: &out))
        #expect(out.isEmpty)
        #expect(validated.write(.bizStep, .string("shipping"), into: &out))
        #expect(validated.write(.eventTime, .string("2026-05-20T11:30:00+02:00"), into: &out))
        #expect(
            String(decoding: out, as: UTF8.self)
                == "bizStep=https://ref.gs1.org/cbv/BizStep-shippingeventTime=2026-05-20T09:30:00.000Z")
    }

    @Test("varied events of the common shape hash the same either way", arguments: variations.indices)
    func variation(index: Int) throws {
        let (member, value, common) = Self.variations[index]
        var members = Self.base
        members[member] = value
        let text =
            "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        let json = try JSONValue(parsing: text)
        let context = JSONLDContext(json["@context"])
        let (direct, general, taken) = Self.both(json, context, [])
        #expect(direct == general, "\(text)")
        #expect(taken == common, "\(text)")
        if let event = try? EPCISEvent(json: json, context: context) {
            #expect(String(decoding: event.preHashBytes(), as: UTF8.self) == general, "\(text)")
        }
    }

    @Test("declared prefixes expand values the same either way", arguments: Fixtures.prefixedEvents.indices)
    func prefixes(index: Int) throws {
        let json = try JSONValue(parsing: Fixtures.prefixedEvents[index])
        let context = JSONLDContext(json["@context"])
        #expect(!context.prefixes.isEmpty)
        let (direct, general, taken) = Self.both(json, context, [])
        #expect(taken)
        #expect(direct == general)
        // The values with a declared prefix are written expanded.
        #expect(index == 2 ? direct.contains("epc=https://other.example/x") : direct.contains("threadline.example/ns/"))
        if let event = try? EPCISEvent(json: json, context: context) {
            #expect(String(decoding: event.preHashBytes(), as: UTF8.self) == general)
        }
    }

    @Test("a document's ignoreFields sends its events the general way")
    func ignoredFields() throws {
        let json = try JSONValue(parsing: #"{"type":"ObjectEvent","action":"ADD","epcList":["urn:x:1"]}"#)
        let (direct, general, taken) = Self.both(json, JSONLDContext(), ["action"])
        #expect(!taken)
        #expect(direct == general)
    }
}

@Suite("The index keys, as strings and packed")
struct PackedIndexKeyTests {
    @Test("every event of the corpora has the same keys either way, packed in byte order without repeats")
    func corpora() throws {
        var events = 0
        for file in Corpus.hashExamples + Corpus.validDocuments {
            guard let document = try? EPCISDocument(parsing: try Corpus.bytes(file)) else { continue }
            for event in document.events {
                let statement = Statement.event(event, hash: event.hash())
                let strings = statement.indexKeys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                #expect(statement.packedIndexKeys.strings == strings, "\(file)")
                // What the audit computes from the event and its hash's digest, without a statement.
                #expect(Statement.packedIndexKeys(of: event, digest: event.hashDigest()).strings == strings, "\(file)")
                #expect(EventHash.uri(of: event.hashDigest()) == event.hash(), "\(file)")
                events += 1
            }
        }
        #expect(events > 100)
    }

    @Test("an event's key is its time in UTC to the millisecond, then its hash's digest (Specs/10 §3's example)")
    func eventKey() throws {
        let document = try EPCISDocument(
            parsing: try Data(
                contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("Specs/vectors/epcis-events.jsonld")))
        let first = document.events[0]
        let expected =
            "event:2026-09-01T02:30:00.000Z/5c8ebde651f58fd696901d998e10926aad1d143fc51bd9bed413d531076ca887"
        #expect(IndexKey.event(first, hash: first.hash()) == expected)
        #expect(Statement.event(first, hash: first.hash()).indexKeys.contains(expected))
        // Half a millisecond rounds to even, as in the hash: one hash, one time, one key.
        for (time, utc) in [
            ("2026-05-20T11:30:00.0005+02:00", "2026-05-20T09:30:00.000Z"),
            ("2026-05-20T11:30:00.0015+02:00", "2026-05-20T09:30:00.002Z"),
        ] {
            let event = try EPCISEvent(
                json: try JSONValue(
                    parsing:
                        #"{"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+02:00","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.107346.2018"]}"#
                ))
            let key = IndexKey.event(event, hash: event.hash())
            #expect(key.hasPrefix("event:\(utc)/"))
            #expect(key.hasSuffix(String(event.hash().dropFirst(EventHash.uriPrefix.count).prefix(64))))
        }
    }

    @Test("repeated keys are kept once, and keys sort by their bytes")
    func repeats() {
        var keys = PackedKeys()
        keys.append("epc:", "b")
        keys.append("Z", "")
        keys.append("epc:", "b")
        keys.append("epc:", "a")
        keys.sort()
        #expect(keys.strings == ["Z", "epc:a", "epc:b"])
        #expect(keys.ends == [1, 6, 11])

        // Keys that come in order are left as they are; a repeat among them is still dropped, and a key that is a
        // prefix of the next is before it.
        var ordered = PackedKeys()
        for key in ["a", "ab", "ab", "b"] { ordered.append(key, "") }
        ordered.sort()
        #expect(ordered.strings == ["a", "ab", "b"])
        var descending = PackedKeys()
        for key in ["ab", "a"] { descending.append(key, "") }
        descending.sort()
        #expect(descending.strings == ["a", "ab"])
    }

    @Test("an event's keys come grouped by prefix, the prefixes in byte order and none the start of another")
    func prefixOrder() throws {
        let prefixes = IndexKey.Prefix.inByteOrder
        #expect(prefixes == prefixes.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for (i, a) in prefixes.enumerated() {
            for b in prefixes[(i + 1)...] { #expect(!b.hasPrefix(a) && !a.hasPrefix(b), "\(a) \(b)") }
        }
        // Every key of a corpus event is written in its group's place.
        for file in Corpus.hashExamples + Corpus.validDocuments {
            guard let document = try? EPCISDocument(parsing: try Corpus.bytes(file)) else { continue }
            for event in document.events {
                var groups: [Int] = []
                IndexKey.forEachKey(of: event, hexDigest: "0") { prefix, _ in
                    groups.append(prefixes.firstIndex(of: prefix)!)
                }
                #expect(groups == groups.sorted(), "\(file)")
            }
        }
    }
}

/// The byte search the pre-hash uses to find CBV 1.x URNs and time fields.
struct ByteSearchTests {
    @Test("a needle is found wherever it is, and only where all of it is")
    func containsBytes() {
        let haystack = "https://id.gs1.org/01/09521234543213/21/urn:epcglobal:cbv:x"
        #expect(haystack.containsBytes("https://"))
        #expect(haystack.containsBytes("urn:epcglobal:cbv:"))
        #expect(haystack.containsBytes("cbv:x"))
        #expect(haystack.containsBytes(haystack))
        #expect(haystack.containsBytes(""))
        #expect(!haystack.containsBytes("cbv:y"))
        #expect(!haystack.containsBytes(haystack + "x"))
        #expect(!"".containsBytes("a"))
        // Candidates that start like the needle but are not it, and one that runs past the end.
        #expect("aaab".containsBytes("aab"))
        #expect(!"aaaba".containsBytes("abab"))
        #expect(!"xxur".containsBytes("urn"))
        #expect("Ümlaut:ü".containsBytes("ü"))
    }

    @Test("ignoring case, ASCII letters match either case")
    func containsBytesIgnoringCase() {
        #expect("bizStepEventTime".containsBytes("eventtime", ignoringCase: true))
        #expect("TIME".containsBytes("time", ignoringCase: true))
        #expect(!"TIME".containsBytes("time"))
        #expect(!"eventTimeZoneOffse".containsBytes("offset", ignoringCase: true))
    }
}
