import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import Participants
import Statements
import Testing
import TransparencyLog

/// Need-to-know reads (Specs/21-read-policy.md): route by route and role by role, which records and which steps
/// of a journey each reader may see.
@Suite struct ReadPolicyTests {
    typealias I = IntegrityRulesTests

    /// The integrity fixture's registry (brand 0614141, factory, retailer 4012345, market, certifier) with an
    /// auditor, a competing factory, and a revoked brand-role participant.
    static let registry: Registry = {
        var registry = I.registry
        let extra: [(String, Participant.Role)] = [("auditor", .auditor), ("rival", .manufacturer), ("gone", .brand)]
        for (i, (id, role)) in extra.enumerated() {
            let key = try! SigningKey(name: id, seed: Array(repeating: UInt8(40 + i), count: 32))
            registry.apply(
                seq: registry.size,
                statement: .registration(
                    .init(id: id, name: id, roles: [role], keys: [key.keyID]), basis: registry.size),
                signers: [I.operatorKey.keyID])
        }
        registry.apply(
            seq: registry.size,
            statement: .revocation(participant: "gone", key: nil, reason: "closed", basis: registry.size),
            signers: [I.operatorKey.keyID])
        return registry
    }()

    static let policy = ReadPolicy(registry: registry)

    /// The factory makes the brand's shirt and ships it to the brand, which ships it to the retailer.
    static let steps = [
        I.step(10, "factory", hour: 1, I.object("commissioning", "ADD")),
        I.step(11, "factory", hour: 2, I.ship(to: "0614141")),
        I.step(12, "brand", hour: 3, I.object("receiving")),
        I.step(13, "brand", hour: 4, I.ship(to: "4012345")),
        I.step(14, "retailer", hour: 5, I.object("receiving")),
    ]
    static let journey = Journey(
        code: I.shirt, identifier: DigitalLink.canonical(I.shirt),
        steps: steps.map {
            Journey.Step(seq: $0.seq, event: $0.event, participant: $0.recorder, stage: .channel, via: .product)
        })

    static func key(_ id: String) -> String { registry.participants[id]!.currentKeys[0].vkey }

    @Test(arguments: [
        (Reader.operator, [10, 11, 12, 13, 14]), (.participant("auditor"), [10, 11, 12, 13, 14]),
        (.participant("brand"), [10, 11, 12, 13, 14]),
        // The factory sees what it did, not where the brand sent the shirt next.
        (.participant("factory"), [10, 11]),
        // The retailer received it: it sees its own step, the shipment to it, and everything upstream.
        (.participant("retailer"), [10, 11, 12, 13, 14]),
        (.participant("rival"), []), (.participant("market"), []), (.participant("gone"), []),
        (.participant("nobody"), []), (.anyone, []),
    ])
    func eachReaderSeesItsPartOfAJourney(_ reader: Reader, _ seqs: [Int64]) {
        #expect(Self.policy.visibleSteps(of: Self.journey, reader: reader).map(\.seq) == seqs)
    }

    @Test func aRecordIsSeenByItsSignersAndThoseItNames() {
        let made = Self.steps[0].event
        let toRetailer = Self.steps[3].event
        let policy = Self.policy
        #expect(policy.sees(signers: [Self.key("factory")], event: made, reader: .participant("factory")))
        #expect(!policy.sees(signers: [Self.key("factory")], event: made, reader: .participant("rival")))
        // The brand sees events about its products, whoever recorded them; another brand does not.
        #expect(policy.sees(signers: [Self.key("factory")], event: made, reader: .participant("brand")))
        #expect(!policy.sees(signers: [Self.key("factory")], event: made, reader: .participant("gone")))
        #expect(policy.sees(signers: [Self.key("brand")], event: toRetailer, reader: .participant("retailer")))
        #expect(!policy.sees(signers: [Self.key("brand")], event: toRetailer, reader: .participant("market")))
        #expect(!policy.sees(signers: [Self.key("brand")], event: nil, reader: .participant("retailer")))
        #expect(!policy.sees(signers: [Self.key("brand")], event: toRetailer, reader: .anyone))
        #expect(policy.sees(signers: [Self.key("brand")], event: toRetailer, reader: .participant("auditor")))
        #expect(policy.sees(signers: [], event: nil, reader: .operator))
        // A public deployment shows everything to everyone.
        #expect(ReadPolicy(registry: Self.registry, publicReads: true).sees(signers: [], event: made, reader: .anyone))
    }

    @Test func aSealedRecordIsAnyonesAndAPlainOneIsNot() throws {
        let signature = Envelope.Signature(keyid: Self.key("factory"), sig: [UInt8](repeating: 1, count: 64))
        let sealed = try Envelope(
            payloadType: SealedEvent.payloadType, payload: Array(#"{"type":"ObjectEvent","_sd":[]}"#.utf8),
            signatures: [signature])
        let plain = try Envelope(
            payloadType: Statement.eventPayloadType, payload: Array(#"{"type":"ObjectEvent"}"#.utf8),
            signatures: [signature])
        for reader in [Reader.anyone, .participant("rival"), .participant("gone")] {
            #expect(Self.policy.sees(sealed, reader: reader))
            #expect(!Self.policy.sees(plain, reader: reader))
        }
        #expect(Self.policy.sees(plain, reader: .participant("factory")))
    }

    /// Route by route, role by role (Specs/21-read-policy.md §2).
    @Test(arguments: ReadPolicy.Route.allCases)
    func eachRouteAnswersEachReaderAsTheTableSays(_ route: ReadPolicy.Route) {
        let readers: [(Reader, String)] = [
            (.anyone, "anyone"), (.participant("factory"), "factory"), (.participant("market"), "market"),
            (.participant("brand"), "brand"), (.participant("auditor"), "auditor"), (.operator, "operator"),
            (.participant("gone"), "gone"),
        ]
        let expected: [ReadPolicy.Route: [String: ReadPolicy.Access]] = [
            .checkListing: [
                "anyone": .refused, "factory": .refused, "market": .all, "brand": .all, "auditor": .all,
                "operator": .all, "gone": .refused,
            ],
            .registry: [
                "anyone": .refused, "factory": .all, "market": .all, "brand": .all, "auditor": .all,
                "operator": .all, "gone": .refused,
            ],
        ]
        let filtered: [String: ReadPolicy.Access] = [
            "anyone": .refused, "factory": .filtered, "market": .filtered, "brand": .filtered, "auditor": .all,
            "operator": .all, "gone": .refused,
        ]
        // Records, proofs, bundles and entry tiles: sealed records are public, so anyone gets those.
        let records: [String: ReadPolicy.Access] = [
            "anyone": .filtered, "factory": .filtered, "market": .filtered, "brand": .filtered, "auditor": .all,
            "operator": .all, "gone": .filtered,
        ]
        for (reader, name) in readers {
            let want: ReadPolicy.Access =
                switch route {
                case .checkpoint, .hashTiles, .consistencyProof, .witness, .resolverLinkset, .consumerPage,
                    .productData:
                    .all
                case .events, .trace: filtered[name]!
                case .record, .inclusionProof, .bundle, .entryTiles: records[name]!
                case .checkListing, .registry: expected[route]![name]!
                }
            #expect(Self.policy.access(route, reader) == want, "\(route) for \(name)")
        }
    }

    @Test func anAuditorRecordsNoEvents() {
        let refusal = RecordingPolicy.refusal(
            for: Self.steps[0].event, signers: [Self.key("auditor")], registry: Self.registry, at: Self.registry.size)
        #expect(refusal?.code == .recordRole)
    }
}
