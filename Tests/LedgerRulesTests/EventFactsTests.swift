@testable import EPCIS
import Foundation
import GS1Identifiers
@testable import LedgerRules
@testable import Statements
import Testing
import ThreadlineTestSupport
import TransparencyLog

/// `EventFacts` reads ObjectEvents of the common shape straight from their bytes and every other event through
/// the JSON tree and the validator. These tests hold the byte reader to what the general reader makes of the same
/// payload: the same typed event, canonical forms and pre-hash, and nothing at all for a payload the general
/// reader refuses.
@Suite("Event facts: the common-shape reader against the general one")
struct EventFactsTests {
    /// Checks that both readers agree on `payload`; returns whether the byte reader took it.
    @discardableResult
    static func agree(_ payload: [UInt8], _ note: String = "") -> Bool {
        let text = note.isEmpty ? String(decoding: payload, as: UTF8.self) : note
        let common = CommonObjectEvent.read(payload)
        guard let event = try? Statement.event(payload: payload) else {
            #expect(common == nil, "the byte reader took what the general reader refuses: \(text)")
            #expect(throws: (any Error).self) { try EventFacts(payload: payload, indexKeys: true) }
            return false
        }
        let digest = event.hashDigest()
        let facts = try? EventFacts(payload: payload, indexKeys: true)
        #expect(facts?.digest == digest, "\(text)")
        #expect(facts?.indexKeys == Statement.packedIndexKeys(of: event, digest: digest), "\(text)")
        #expect(facts?.demands.step == RecordingPolicy.Demands(event).step, "\(text)")
        #expect(
            facts?.demands.creates.map { "\($0.identifier) \($0.gtin ?? "-")" }
                == RecordingPolicy.Demands(event).creates.map { "\($0.identifier) \($0.gtin ?? "-")" }, "\(text)")
        guard var (read, preHash) = common else {
            #expect(EventFacts.statement(payloadType: Statement.eventPayloadType, payload: payload, stored: nil) == nil)
            return false
        }
        // The engine's statement read by the byte reader: the same hash and index keys as the general reader's.
        let statement = try? Statement(payloadType: Statement.eventPayloadType, payload: payload)
        let engine = EventFacts.statement(payloadType: Statement.eventPayloadType, payload: payload, stored: nil)
        if case .event(var fast, let hash)? = engine {
            #expect(hash == event.hash() && engine?.indexKeys == statement?.indexKeys)
            // The duplicate key found among the index keys is the one formatted for the purpose.
            if let engine {
                #expect(
                    Admission.duplicateKey(engine, indexKeys: engine.indexKeys) == Admission.duplicateKey(engine),
                    "\(text)")
            }
            fast.json = event.json
            #expect(fast == event, "\(text)")
        } else {
            Issue.record("the byte reader read the event but made no statement of it: \(text)")
        }
        // The byte reader keeps no JSON tree; everything else must be as the general reader has it.
        #expect(read.json == .null)
        read.json = event.json
        #expect(read == event, "\(text)")
        #expect(String(decoding: preHash, as: UTF8.self) == String(decoding: event.preHashBytes(), as: UTF8.self))
        return true
    }

    /// The statement payload of each event of a document file (valid or not), as `import` would record it; none
    /// for a file that is not JSON.
    static func payloads(_ file: URL) throws -> [[UInt8]] {
        guard let json = try? JSONValue(parsing: Array(try Data(contentsOf: file))) else { return [] }
        let events = json["epcisBody"]?["eventList"]?.elements ?? json["epcisBody"]?["event"].map { [$0] } ?? []
        return events.map { EPCISDocument.statementPayload(event: $0, documentContext: json["@context"]) }
    }

    static let samples: [URL] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples")
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        return (walker?.compactMap { $0 as? URL } ?? []).filter {
            $0.pathExtension == "json" && $0.lastPathComponent != "manifest.json"
        }
    }()

    @Test("every event of the corpora and the samples reads the same either way")
    func corpora() throws {
        let files =
            (Corpus.hashExamples + Corpus.validDocuments + Corpus.invalidDocuments).map {
                Corpus.vectors.appendingPathComponent($0)
            } + Self.samples
        var (events, taken) = (0, 0)
        for file in files {
            for payload in try Self.payloads(file) {
                events += 1
                if Self.agree(payload, "an event of \(file.lastPathComponent)") { taken += 1 }
            }
        }
        #expect(events > 150)
        // Many are of the common shape (the samples' shipping and receiving events among them), so the byte reader
        // is exercised on events it was not written from.
        #expect(taken >= 30)
    }

    @Test("a workspace kept from event to event reads each as a fresh one does")
    func keptWorkspace() throws {
        let files =
            (Corpus.hashExamples + Corpus.validDocuments).map { Corpus.vectors.appendingPathComponent($0) }
            + Self.samples
        var workspace = EventFacts.Workspace()
        var factsWorkspace = EventFacts.Workspace()
        var taken = 0
        // Twice over: the second time, every place and party is one the workspace kept.
        for payload in try files.flatMap(Self.payloads) + files.flatMap(Self.payloads) {
            let fresh = EventFacts.statement(payloadType: Statement.eventPayloadType, payload: payload, stored: nil)
            let kept = EventFacts.statement(
                payloadType: Statement.eventPayloadType, payload: payload, stored: nil, using: &workspace)
            switch (fresh, kept) {
            case (.event(let a, let hashA)?, .event(let b, let hashB)?):
                #expect(a == b && hashA == hashB)
                taken += 1
            case (nil, nil): break
            default: Issue.record("one reader took the event, the other not")
            }
            let facts = try? EventFacts(payload: payload, indexKeys: true)
            let keptFacts = try? EventFacts(payload: payload, indexKeys: true, using: &factsWorkspace)
            #expect(facts?.digest == keptFacts?.digest && facts?.indexKeys == keptFacts?.indexKeys)
        }
        #expect(taken >= 60)
    }

    @Test func placeFormsAreTheCanonicalFormsAndStayFew() {
        var places = PlaceForms()
        for round in 0..<2 {
            for i in 0..<(PlaceForms.capacity * 2 + 7) {
                let identifiers = [
                    "urn:epc:id:sgln:0614141.\(String(format: "%05d", i)).0",
                    "https://id.gs1.org/417/061414\(String(format: "%06d", i))",
                    "https://example.com/not-a-key/\(i)",
                ]
                for identifier in identifiers {
                    #expect(
                        places.form(of: identifier) == DigitalLink.canonicalURI(for: identifier),
                        "\(identifier), round \(round)")
                }
                #expect(places.kept <= PlaceForms.capacity)
            }
        }
    }

    @Test("an event naming many objects, some twice, in any order: the same hash, keys and canonical forms")
    func manyObjectsInAnyOrder() throws {
        // More than `CanonicalForms.indexedAfter` distinct objects, in both forms; one URN twice, and a Digital Link
        // on another domain.
        let objects =
            (0..<24).map { "urn:epc:id:sgtin:0614141.112345.S\($0)" }
            + (0..<12).map { "https://id.gs1.org/01/00614141123452/21/L\($0)" }
            + ["https://example.com/01/00614141123452/21/S3", "urn:epc:id:sgtin:0614141.112345.S3"]
        var generator = SeededGenerator(state: 21)
        var digests = Set<Hash>()
        for _ in 0..<4 {
            let list = objects.shuffled(using: &generator).map { "\"\($0)\"" }.joined(separator: ",")
            let members = Self.base.map { $0.0 == "epcList" ? ($0.0, "[\(list)]") : $0 }
            let payload = Array(Self.text(members).utf8)
            #expect(Self.agree(payload))
            let facts = try EventFacts(payload: payload, indexKeys: true)
            digests.insert(facts.digest)
            let keys = facts.indexKeys?.strings.filter { $0.hasPrefix("epc:") } ?? []
            #expect(keys.count == 24 + 12 + 1)
            #expect(keys.contains("epc:https://id.gs1.org/01/10614141123459/21/S3"))
            #expect(keys.contains("epc:https://id.gs1.org/01/00614141123452/21/S3"))
        }
        #expect(digests.count == 1)
    }

    /// An ObjectEvent of the common shape: the event `ledger-bench --events` records.
    static let base: [(String, String)] = [
        ("@context", #"["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]"#),
        ("type", #""ObjectEvent""#), ("eventTime", #""2026-09-21T09:46:40.000Z""#),
        ("eventTimeZoneOffset", #""+00:00""#), ("epcList", #"["urn:epc:id:sgtin:0614141.112345.123456"]"#),
        ("action", #""OBSERVE""#), ("bizStep", #""shipping""#), ("disposition", #""active""#),
        ("readPoint", #"{"id":"urn:epc:id:sgln:0614141.00001.0"}"#),
        ("bizLocation", #"{"id":"urn:epc:id:sgln:0614141.00001.0"}"#),
        ("certificationInfo", #"["https://certifier.example/gots/TC-123"]"#),
    ]

    static func text(_ members: [(String, String)]) -> String {
        "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// One member changed (nil: removed; a new name: added), and whether the byte reader takes the result.
    static let variations: [(String, String?, Bool)] = [
        (
            "epcList",
            #"["urn:epc:id:sgtin:0614141.112345.2","urn:epc:id:sgtin:0614141.112345.10","https://id.gs1.org/01/00614141123452/21/3"]"#,
            true
        ),
        ("epcList", #"[" urn:epc:id:sgtin:0614141.112345.2"]"#, false),
        ("epcList", "[]", false),
        ("epcList", #""urn:epc:id:sgtin:0614141.112345.2""#, false),
        ("epcList", #"["no-scheme"]"#, false),
        ("epcList", nil, false),
        ("epcList", #"["urn:epc:id:sgtin:0614141.112345.2",]"#, false),
        ("certificationInfo", #""https://cert.example/1""#, true),
        ("certificationInfo", #"["https://cert.example/b","https://cert.example/a"]"#, true),
        ("certificationInfo", "[]", true),
        ("certificationInfo", #"["not a uri"]"#, false),
        ("certificationInfo", "[1]", false),
        ("certificationInfo", nil, true),
        ("bizStep", #""urn:epcglobal:cbv:bizstep:receiving""#, true),
        ("bizStep", #""https://ref.gs1.org/cbv/BizStep-receiving""#, true),
        ("bizStep", #""cbv:BizStep-receiving""#, true),
        ("bizStep", #""https://example.com/steps/dyeing""#, true),
        ("bizStep", #""no_such_step""#, false),
        ("bizStep", #""""#, false),
        ("bizStep", nil, true),
        ("disposition", #""recalled""#, true),
        ("disposition", #""urn:epcglobal:cbv:disp:in_progress""#, true),
        ("disposition", "null", false),
        ("disposition", nil, true),
        ("eventTime", #""2026-05-20T09:30:00.1235-05:30""#, true),
        ("eventTime", #""2026-05-20T09:30:00""#, false),
        ("eventTime", #""not a time""#, false),
        ("eventTime", nil, false),
        ("eventTimeZoneOffset", #""-05:30""#, true),
        ("eventTimeZoneOffset", #""+2:00""#, false),
        ("eventTimeZoneOffset", nil, false),
        ("action", #""ADD""#, true),
        ("action", #""DELETE""#, true),
        ("action", #""add""#, false),
        ("action", nil, false),
        ("readPoint", #"{"id":"https://id.gs1.org/414/0614141000012"}"#, true),
        ("readPoint", #"{"id":"not a uri"}"#, false),
        ("readPoint", #"{"id":"urn:x:1","ex:y":"z"}"#, false),
        ("readPoint", #"{}"#, false),
        ("readPoint", #""urn:epc:id:sgln:0614141.00001.0""#, false),
        ("bizLocation", nil, true),
        ("type", #""AggregationEvent""#, false),
        ("type", #""NoSuchEvent""#, false),
        ("type", nil, false),
        ("@context", #""https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld""#, true),
        ("@context", #"[{"ex":"https://example.com/"}]"#, true),
        (
            "@context",
            #"["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"tl":"urn:x:","@vocab":"urn:v:"}]"#,
            true
        ),
        ("@context", #"[{"ex":{"@id":"https://example.com/"}}]"#, false),
        ("@context", #"[{"ex":"https://example.com/","ex":"https://other.example/"}]"#, false),
        ("@context", #"[{}]"#, true),
        ("@context", #"{"ex":"https://example.com/"}"#, false),
        ("@context", nil, true),
        ("recordTime", #""2026-09-22T00:00:00Z""#, true),
        ("recordTime", #""yesterday""#, false),
        ("eventID", #""ni:///sha-256;abc?ver=CBV2.0""#, true),
        ("eventID", #""no uri""#, false),
        ("quantityList", #"[{"epcClass":"urn:epc:class:lgtin:0614141.112345.L1","quantity":2}]"#, false),
        ("ex:field", #""value""#, false),
        ("comment", #""a note""#, false),
        ("errorDeclaration", #"{"declarationTime":"2026-05-21T00:00:00Z"}"#, false),
        ("sensorElementList", "[]", false),
        (
            "sourceList",
            #"[{"type":"owning_party","source":"https://id.gs1.org/417/0614141000005"},{"source":"urn:epc:id:sgln:0614141.00001.0","type":"urn:epcglobal:cbv:sdt:location"}]"#,
            true
        ),
        (
            "destinationList", #"[{"type":"https://ref.gs1.org/cbv/SDT-possessing_party","destination":"urn:x:2"}]"#,
            true
        ),
        ("destinationList", #"[{"type":"https://example.com/my-type","destination":"urn:x:2"}]"#, true),
        (
            "bizTransactionList",
            #"[{"bizTransaction":"urn:epcglobal:cbv:bt:0614141000005:PO-7"},{"type":"po","bizTransaction":"https://example.com/po/7"}]"#,
            true
        ),
        ("sourceList", "[]", true),
        ("sourceList", #"[{"source":"urn:x:1"}]"#, false),
        ("sourceList", #"[{"type":"no_such_type","source":"urn:x:1"}]"#, false),
        ("sourceList", #"[{"type":"owning_party","source":"not a uri"}]"#, false),
        ("sourceList", #"[{"type":"owning_party","source":"urn:x:1","ex:y":"z"}]"#, false),
        ("sourceList", #"[{"type":"owning_party","type":"location","source":"urn:x:1"}]"#, false),
        ("sourceList", #"[{"type":"owning_party","destination":"urn:x:1"}]"#, false),
        ("sourceList", #"{"type":"owning_party","source":"urn:x:1"}"#, false),
        ("bizTransactionList", #"[{"type":"po"}]"#, false),
        ("bizTransactionList", #"["urn:x:1"]"#, false),
    ]

    @Test(
        "varied events: the byte reader takes the common shape and agrees; it leaves the rest",
        arguments: variations.indices)
    func variation(index: Int) throws {
        let (name, value, taken) = Self.variations[index]
        var members = Self.base
        if let at = members.firstIndex(where: { $0.0 == name }) {
            if let value { members[at].1 = value } else { members.remove(at: at) }
        } else if let value {
            members.append((name, value))
        }
        let text = Self.text(members)
        #expect(Self.agree(Array(text.utf8)) == taken, "\(text)")
    }

    @Test(
        "events whose values use declared prefixes read the same either way",
        arguments: Fixtures.prefixedEvents.indices)
    func prefixed(index: Int) {
        #expect(Self.agree(Array(Fixtures.prefixedEvents[index].utf8)))
    }

    /// The base event's text changed as a whole, and whether the byte reader takes the result.
    static let rewrites: [(String, @Sendable (String) -> String, Bool)] = [
        ("as it is", { $0 }, true),
        (
            "spaces, tabs and line breaks between tokens",
            {
                " "
                    + $0.replacingOccurrences(of: #"",""#, with: "\" ,\n\t \"").replacingOccurrences(
                        of: #"":"#, with: "\" : "
                    )
                    .replacingOccurrences(of: "{", with: "{\r\n") + "\r\n"
            }, true
        ),
        (
            "an escaped slash", { $0.replacingOccurrences(of: "https://certifier", with: #"https:\/\/certifier"#) },
            false
        ),
        ("an escaped letter in a key", { $0.replacingOccurrences(of: #""action""#, with: #""\u0061ction""#) }, false),
        ("a non-ASCII character", { $0.replacingOccurrences(of: "TC-123", with: "TC-123-é") }, false),
        ("a raw tab inside a string", { $0.replacingOccurrences(of: "TC-123", with: "TC-\t123") }, false),
        ("a member written twice", { $0.dropLast() + #","action":"ADD"}"# }, false),
        ("text after the object", { $0 + "x" }, false),
        ("a second object", { $0 + "{}" }, false),
        ("a trailing comma", { $0.dropLast() + ",}" }, false),
        ("no closing brace", { String($0.dropLast()) }, false),
        ("an array, not an object", { "[" + $0 + "]" }, false),
        ("a byte order mark", { "\u{FEFF}" + $0 }, false),
    ]

    @Test(
        "rewritten events: the byte reader takes plain JSON and agrees; it leaves the rest", arguments: rewrites.indices
    )
    func rewrite(index: Int) throws {
        let (what, change, taken) = Self.rewrites[index]
        let text = change(Self.text(Self.base))
        #expect(Self.agree(Array(text.utf8), "\(what): \(text)") == taken, "\(what)")
    }
}
