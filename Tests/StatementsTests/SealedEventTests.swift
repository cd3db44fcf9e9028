import EPCIS
import Foundation
import Statements
import Testing
import ThreadlineTestSupport
import TransparencyLog

/// Sealed EPCIS events (Specs/23-sealed-events.md): RFC 9901 disclosures, sealing, opening all or part of an
/// event, decoys, and every way a disclosure or a sealed payload can be wrong.
struct SealedEventTests {
    static let event = try! JSONValue(
        parsing: #"""
            {"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-11-03T15:00:00+06:00","eventTimeZoneOffset":"+06:00","action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.TS-0001","urn:epc:id:sgtin:0614141.112345.TS-0002","urn:epc:id:sgtin:0614141.112345.TS-0003"],"quantityList":[{"epcClass":"urn:epc:class:lgtin:8801234.012345.DYE-A","quantity":3,"uom":"KGM"}],"bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:0614141000005:PO-77"}],"readPoint":{"id":"urn:epc:id:sgln:8801234.00001.0"},"certificationInfo":["https://certifier.example/gots/TC-2026-GAR-1103"]}
            """#)

    /// A deterministic generator: 16 bytes counting up from `start`.
    static func counter() -> () -> [UInt8] {
        nonisolated(unsafe) var next: UInt8 = 0
        return {
            next &+= 1
            return [UInt8](repeating: next, count: 16)
        }
    }

    /// `value` with every object's members sorted by name (disclosed members come back in digest order).
    static func sorted(_ value: JSONValue) -> JSONValue {
        if let members = value.members {
            return .object(members.map { .init($0.key, sorted($0.value)) }.sorted { $0.key < $1.key })
        }
        if let elements = value.elements { return .array(elements.map(sorted)) }
        return value
    }

    @Test func theRFCsDisclosuresReadAndHashAsItSays() throws {
        // RFC 9901 §4.2.1: an object member, and its digest.
        let member = try Disclosure(parsing: "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0")
        #expect(member.salt == "_26bc4LT-ac6q2KI6cBW5es")
        #expect(member.name == "family_name")
        #expect(member.value == .string("Möbius"))
        #expect(member.digest == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0")
        // §4.2.2: a list element has no name.
        let element = try Disclosure(parsing: "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0")
        #expect(element.salt == "lklxF5jMYlGTPUovMNIvCA" && element.name == nil && element.value == .string("FR"))
    }

    /// Specs/23 §1's vectors, computed independently (Python's hashlib and base64).
    @Test func theSpecsVectorsAreWhatThisCodeMakes() {
        let member = Disclosure(
            salt: Base64URL.encode([UInt8](repeating: 1, count: 16)), name: "bizStep", value: .string("shipping"))
        #expect(member.encoded == "WyJBUUVCQVFFQkFRRUJBUUVCQVFFQkFRIiwiYml6U3RlcCIsInNoaXBwaW5nIl0")
        #expect(member.digest == "pXCqGAn1sw-6dAdZsgl0BdGfYXUu7FtlcYPMBs26iRk")
        let element = Disclosure(
            salt: Base64URL.encode([UInt8](repeating: 2, count: 16)), name: nil,
            value: .string("urn:epc:id:sgtin:0614141.112345.TS-0001"))
        #expect(
            element.encoded
                == "WyJBZ0lDQWdJQ0FnSUNBZ0lDQWdJQ0FnIiwidXJuOmVwYzppZDpzZ3RpbjowNjE0MTQxLjExMjM0NS5UUy0wMDAxIl0")
        #expect(element.digest == "ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M")
    }

    @Test(arguments: [
        // Padding, the standard alphabet, not JSON, not an array, a wrong length, a reserved name, a salt that is
        // not a string, non-canonical trailing bits.
        "WyJGUiJd=", "W+yJGUiJd", "bm90IGpzb24", "eyJhIjoxfQ", "WyJvbmx5Il0", "WyJzIiwgIl9zZCIsIDFd",
        "WzEsICJGUiJd", "WyJGUiJe",
    ])
    func malformedDisclosuresAreRefused(_ text: String) {
        #expect(throws: StatementError.self) { try Disclosure(parsing: text) }
    }

    @Test("the stored form of an opening is the JSON serialization of its members, byte for byte, and reads back")
    func storedForm() throws {
        let sealed = try SealedEvent.seal(Self.event, random: Self.counter())
        var opening = Opening(sealed)
        for erased in [
            [], [Opening.Erased(digest: sealed.disclosures[0].digest, by: 7)],
            [Opening.Erased(digest: "AAA", by: 0), Opening.Erased(digest: "not \"base64url\" é", by: 1_234_567)],
        ] {
            opening.erased = erased
            let members =
                opening.submissionMembers + [
                    .init(
                        "erased",
                        .array(
                            erased.map {
                                .object([.init("digest", .string($0.digest)), .init("by", .number(String($0.by)))])
                            }))
                ]
            #expect(opening.stored == Array(JSONValue.object(members).serialized.utf8))
            #expect(try Opening(stored: opening.stored) == opening)
        }
        let empty = Opening(disclosures: [], decoys: [])
        #expect(String(decoding: empty.stored, as: UTF8.self) == #"{"disclosures":[],"decoys":[],"erased":[]}"#)
    }

    @Test func aSealedEventShowsOnlyDigestsAndOpensToTheEvent() throws {
        let sealed = try SealedEvent.seal(Self.event, random: Self.counter())
        let text = sealed.payload.serialized
        // Nothing but the type and context in clear: no serial, lot, order, place or time.
        for secret in ["TS-0001", "TS-0002", "DYE-A", "PO-77", "8801234", "2026-11-03", "commissioning", "KGM"] {
            #expect(!text.contains(secret), "\(secret) is in clear")
        }
        #expect(sealed.payload["type"] == .string("ObjectEvent"))
        #expect(sealed.payload["_sd_alg"] == .string("sha-256"))
        // Nine members sealed, padded with decoys to sixteen.
        #expect(sealed.payload["_sd"]?.elements?.count == 16)
        // Every disclosure opens it, to the same event.
        let opened = try SealedEvent.open(sealed.payload, disclosures: sealed.disclosures)
        #expect(Self.sorted(opened) == Self.sorted(Self.event))
        // Each decoy's seed gives a digest that is in the payload or a disclosure's value, and is no disclosure's.
        let digests = Set(sealed.disclosures.map(\.digest))
        let everything = text + sealed.disclosures.map(\.value.serialized).joined()
        for seed in sealed.decoys {
            let decoy = SealedEvent.decoyDigest(seed)
            #expect(everything.contains(decoy) && !digests.contains(decoy))
        }
        // Seven decoys pad the nine members to sixteen, one the three serials to four, one the quantity
        // element's three members to four.
        #expect(sealed.decoys.count == 7 + 1 + 1)
        // Nine members; three serials; a quantity element and its three members; a transaction and its two; the
        // read point's id; a certification.
        #expect(sealed.disclosures.count == 9 + 3 + 4 + 3 + 1 + 1)
        #expect(opened["epcList"]?.elements?.count == 3)
    }

    @Test func aReaderGetsOnlyTheFieldsItIsGiven() throws {
        let sealed = try SealedEvent.seal(Self.event, random: Self.counter())
        let wanted = sealed.disclosures.filter { disclosure in
            ["bizStep", "eventTime", "epcList"].contains(disclosure.name ?? "")
                || disclosure.value == .string("urn:epc:id:sgtin:0614141.112345.TS-0001")
        }
        let opened = try SealedEvent.open(sealed.payload, disclosures: wanted)
        #expect(opened["bizStep"] == .string("commissioning"))
        #expect(opened["epcList"] == .array([.string("urn:epc:id:sgtin:0614141.112345.TS-0001")]))
        #expect(opened["quantityList"] == nil && opened["bizTransactionList"] == nil)
        #expect(!opened.serialized.contains("TS-0002"))
    }

    @Test func everyWrongDisclosureOrPayloadIsRefused() throws {
        let sealed = try SealedEvent.seal(Self.event, random: Self.counter())
        func refused(_ payload: JSONValue, _ disclosures: [Disclosure]) -> Bool {
            (try? SealedEvent.open(payload, disclosures: disclosures)) == nil
        }
        // A disclosure that matches no digest (another salt, the same member), or given twice.
        var forged = sealed.disclosures
        forged[0] = Disclosure(salt: "another", name: forged[0].name, value: forged[0].value)
        #expect(refused(sealed.payload, forged))
        #expect(refused(sealed.payload, sealed.disclosures + [sealed.disclosures[0]]))
        // A payload with another digest algorithm, or without one.
        func replacing(_ key: String, with value: JSONValue?) -> JSONValue {
            let members = sealed.payload.members ?? []
            return .object(members.compactMap { $0.key == key ? value.map { .init(key, $0) } : $0 })
        }
        #expect(refused(replacing("_sd_alg", with: .string("sha-512")), sealed.disclosures))
        #expect(refused(replacing("_sd_alg", with: nil), sealed.disclosures))
        // A digest listed twice.
        let first = sealed.payload["_sd"]?.elements?.first ?? .null
        let doubled = replacing("_sd", with: .array((sealed.payload["_sd"]?.elements ?? []) + [first]))
        #expect(refused(doubled, sealed.disclosures))
        // A member disclosed where the payload has it in clear.
        let typed = Disclosure(salt: "s", name: "type", value: .string("AggregationEvent"))
        let withClash = replacing(
            "_sd", with: .array((sealed.payload["_sd"]?.elements ?? []) + [.string(typed.digest)]))
        #expect(refused(withClash, sealed.disclosures + [typed]))
        // A list element's disclosure named in _sd, and a member's standing for a list element.
        let element = Disclosure(salt: "s", name: nil, value: .string("x"))
        #expect(
            refused(
                replacing("_sd", with: .array((sealed.payload["_sd"]?.elements ?? []) + [.string(element.digest)])),
                sealed.disclosures + [element]))
    }

    /// RFC 9901's reference implementation (Python's sd-jwt) opens what this code seals to the same event, with
    /// every disclosure and with a few.
    @Test(.enabled(if: PythonPeer.sdJWTRuns, "needs: pip install sd-jwt (always run in CI)"))
    func theReferenceImplementationOpensSealedEventsTheSameWay() throws {
        let sealed = try SealedEvent.seal(Self.event)
        func peer(_ disclosures: [Disclosure]) throws -> JSONValue {
            let input = ([sealed.payload.serialized] + disclosures.map(\.encoded)).joined(separator: "\n")
            let result = try PythonPeer.run(["open"], script: "StatementsTests/sdjwt_peer.py", stdin: input)
            #expect(result.status == 0, "install it with: pip install sd-jwt")
            return try JSONValue(parsing: result.output)
        }
        #expect(Self.sorted(try peer(sealed.disclosures)) == Self.sorted(Self.event))
        let some = sealed.disclosures.filter {
            $0.name == "epcList" || $0.name == "bizStep"
                || $0.value == .string("urn:epc:id:sgtin:0614141.112345.TS-0002")
        }
        let opened = try SealedEvent.open(sealed.payload, disclosures: some)
        #expect(Self.sorted(try peer(some)) == Self.sorted(opened))
    }

    /// The ledger opens a sealed event whole: every digest disclosed or shown to be a decoy (Specs/23 §3).
    @Test func theLedgerDemandsEveryDisclosureAndEveryDecoy() throws {
        let sealed = try SealedEvent.seal(Self.event, random: Self.counter())
        let whole = try SealedEvent.openWhole(
            sealed.payload, disclosures: sealed.disclosures, decoys: sealed.decoys)
        #expect(Self.sorted(whole) == Self.sorted(Self.event))
        func refused(_ disclosures: [Disclosure], _ decoys: [[UInt8]]) -> Bool {
            (try? SealedEvent.openWhole(sealed.payload, disclosures: disclosures, decoys: decoys)) == nil
        }
        // A withheld field (a serial, or a whole member), a withheld decoy, a decoy too many or of another size.
        let serial = sealed.disclosures.firstIndex { $0.value == .string("urn:epc:id:sgtin:0614141.112345.TS-0002") }
        #expect(refused(sealed.disclosures.enumerated().filter { $0.offset != serial }.map(\.element), sealed.decoys))
        #expect(refused(sealed.disclosures.filter { $0.name != "readPoint" }, sealed.decoys))
        #expect(refused(sealed.disclosures, Array(sealed.decoys.dropFirst())))
        #expect(refused(sealed.disclosures, sealed.decoys + [[UInt8](repeating: 9, count: 16)]))
        #expect(refused(sealed.disclosures, sealed.decoys + [sealed.decoys[0]]))
        #expect(refused(sealed.disclosures, [[1, 2, 3]] + sealed.decoys.dropFirst()))
    }

    @Test func base64URLIsUnpaddedAndCanonical() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64URL.decode("-_9") == nil)
        #expect(Base64URL.decode("-_8=") == nil)
        #expect(Base64URL.decode("A") == nil)
        #expect(Base64URL.decode("") == [])
        // The bits left over must be zero, whether two or three characters end the text.
        #expect(Base64URL.decode("AB") == nil && Base64URL.decode("AQ") == [0x01])
        #expect(Base64URL.decode("AAB") == nil && Base64URL.decode("AAE") == [0x00, 0x01])
        #expect(Base64URL.decode("AA*A") == nil && Base64URL.decode("AAAA+AAA") == nil)
        var generator = SystemRandomNumberGenerator()
        for count in 0...70 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Base64URL.encode(bytes)
            #expect(Base64URL.decode(text) == bytes, "\(text)")
            #expect(
                text
                    == Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_")
                    .replacing("=", with: ""))
        }
    }
}

/// `Specs/vectors/sealed-event.json`, computed independently in Python (`Specs/vectors/generate.py`): the same
/// draws give the same disclosures, decoys, sealed payload and envelope, byte for byte.
struct SealedVectorTests {
    struct Vector: Decodable {
        let event: String
        let payloadType: String
        let disclosures: [String]
        let digests: [String]
        let decoySeeds: [String]
        let payload: String
        let envelopeJSON: String
    }

    static let vectors = RecordVectorTests.root.appendingPathComponent("Specs/vectors")

    @Test func theSealedVectorIsByteForByteWhatThisCodeMakes() throws {
        let v = try JSONDecoder().decode(
            Vector.self, from: Data(contentsOf: Self.vectors.appendingPathComponent("sealed-event.json")))
        let records = try JSONDecoder().decode(
            RecordVectorTests.Vectors.self, from: Data(contentsOf: Self.vectors.appendingPathComponent("records.json")))
        nonisolated(unsafe) var draws = 0
        let sealed = try SealedEvent.seal(try JSONValue(parsing: v.event)) {
            draws += 1
            return Array(Hash.sha256(Array("threadline sealed vector \(draws)".utf8)).bytes.prefix(16))
        }
        #expect(v.payloadType == SealedEvent.payloadType)
        #expect(sealed.disclosures.map(\.encoded) == v.disclosures)
        #expect(sealed.disclosures.map(\.digest) == v.digests)
        #expect(sealed.decoys.map { Base64URL.encode($0) } == v.decoySeeds)
        #expect(sealed.payload.serialized == v.payload)
        let key = try SigningKey(fileContents: records.participantKey.privateKey)
        let envelope = try Envelope(signing: Array(v.payload.utf8), type: v.payloadType, with: key)
        #expect(String(decoding: envelope.canonicalJSON, as: UTF8.self) == v.envelopeJSON)
        // And it opens to the event.
        let opened = try SealedEvent.open(
            try JSONValue(parsing: v.payload), disclosures: try v.disclosures.map { try Disclosure(parsing: $0) })
        #expect(SealedEventTests.sorted(opened) == SealedEventTests.sorted(try JSONValue(parsing: v.event)))
    }
}
