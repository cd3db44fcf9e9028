import Participants
import Statements
import Testing
import TransparencyLog

@Suite("Participant registry")
struct RegistryTests {
    let operatorKey = try! SigningKey(name: "ledger.example", seed: Array(repeating: 1, count: 32))
    let brandKey = try! SigningKey(name: "acme", seed: Array(repeating: 2, count: 32))
    let shopKey = try! SigningKey(name: "shop", seed: Array(repeating: 3, count: 32))
    let shopKey2 = try! SigningKey(name: "shop2", seed: Array(repeating: 4, count: 32))
    let farmKey = try! SigningKey(name: "farm", seed: Array(repeating: 5, count: 32))

    func envelope(_ statement: RegistryStatement, by key: SigningKey) throws -> Envelope {
        try Envelope(signing: statement.payload, type: RegistryStatement.payloadType, with: key)
    }

    var acme: Participant.Profile {
        .init(
            id: "acme", name: "Acme Apparel", roles: [.brand, .manufacturer], companyPrefixes: ["0614141"],
            locations: ["0614141000005"], keys: [brandKey.keyID])
    }
    var shop: Participant.Profile { .init(id: "shop", name: "Shop", roles: [.marketplace], keys: [shopKey.keyID]) }

    /// Folds changes in order, each signed against the log before it (its basis is its own position); returns the
    /// registry and each statement's refusal.
    func fold(_ changes: [(RegistryStatement.Change, SigningKey)]) throws -> (Registry, [(any CodedError)?]) {
        try fold(changes.enumerated().map { (RegistryStatement($1.0, basis: Int64($0)), $1.1) })
    }

    /// Folds statements in order; returns the registry and each statement's refusal.
    func fold(_ statements: [(RegistryStatement, SigningKey)]) throws -> (Registry, [(any CodedError)?]) {
        var registry = Registry(operatorKey: operatorKey.keyID)
        var refusals: [(any CodedError)?] = []
        for (seq, (statement, key)) in statements.enumerated() {
            refusals.append(registry.apply(seq: Int64(seq), envelope: try envelope(statement, by: key)))
        }
        return (registry, refusals)
    }

    @Test("profiles are equal, and hash alike, when every field is; any field that differs tells them apart")
    func profileEquality() {
        #expect(acme == acme)  // Two profiles made apart.
        #expect(acme.hashValue == acme.hashValue)
        let variants: [Participant.Profile] = [
            .init(
                id: "acme2", name: "Acme Apparel", roles: [.brand, .manufacturer], companyPrefixes: ["0614141"],
                locations: ["0614141000005"], keys: [brandKey.keyID]),
            .init(
                id: "acme", name: "Acme", roles: [.brand, .manufacturer], companyPrefixes: ["0614141"],
                locations: ["0614141000005"], keys: [brandKey.keyID]),
            .init(
                id: "acme", name: "Acme Apparel", roles: [.brand], companyPrefixes: ["0614141"],
                locations: ["0614141000005"], keys: [brandKey.keyID]),
            .init(
                id: "acme", name: "Acme Apparel", roles: [.brand, .manufacturer], companyPrefixes: [],
                locations: ["0614141000005"], keys: [brandKey.keyID]),
            .init(
                id: "acme", name: "Acme Apparel", roles: [.brand, .manufacturer], companyPrefixes: ["0614141"],
                locations: [], keys: [brandKey.keyID]),
            .init(
                id: "acme", name: "Acme Apparel", roles: [.brand, .manufacturer], companyPrefixes: ["0614141"],
                locations: ["0614141000005"], keys: [shopKey.keyID]),
        ]
        for variant in variants { #expect(variant != acme) }
        #expect(Set(variants + [acme, acme]).count == variants.count + 1)
    }

    @Test("statements round-trip through their JSON payload")
    func roundTrip() throws {
        let changes: [RegistryStatement.Change] = [
            .registration(acme), .keyRotation(participant: "shop", newKey: shopKey2.keyID, retiredKey: shopKey.keyID),
            .keyRotation(participant: "shop", newKey: shopKey2.keyID, retiredKey: nil),
            .revocation(participant: "shop", key: nil, reason: "closed"),
            .channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: ["0614141"], withdrawn: true),
        ]
        for change in changes {
            for basis in [nil, 0, 123_456_789_012] as [Int64?] {
                let statement = RegistryStatement(change, basis: basis)
                #expect(try RegistryStatement(payload: statement.payload) == statement)
            }
        }
        #expect(
            RegistryStatement(.revocation(participant: "shop", key: nil, reason: "closed"), basis: 42).json.serialized
                == #"{"type":"Revocation","participant":"shop","reason":"closed","basis":42}"#)
        for basis in ["-1", "1.5", "\"3\"", "9223372036854775808", "1e3"] {
            let error = try #require(throws: StatementError.self) {
                try RegistryStatement(
                    payload: Array(#"{"type":"Revocation","participant":"shop","reason":"x","basis":\#(basis)}"#.utf8))
            }
            #expect(error.code == .registryBasis)
        }
        let party = #expect(throws: StatementError.self) {
            try RegistryStatement(payload: Array(#"{"type":"Party"}"#.utf8))
        }
        #expect(party?.code == .registryType)
        let pirate = #expect(throws: StatementError.self) {
            try RegistryStatement(
                payload: Array(
                    #"{"type":"ParticipantRegistration","participant":{"id":"a","name":"A","roles":["pirate"],"keys":[]}}"#
                        .utf8))
        }
        #expect(pirate?.code == .registryRoles)
    }

    @Test("an authorisation's window is written, read back, and checked")
    func authorisationWindows() throws {
        let window = try AuthorizationWindow(
            validFrom: "2026-12-12T20:00:00+08:00", validUntil: "2026-12-12T22:00:00+08:00")
        let statement = RegistryStatement.channelAuthorization(
            brand: "acme", channel: "live", companyPrefixes: [], withdrawn: false, window: window, basis: 3)
        #expect(
            statement.json.serialized
                == #"{"type":"ChannelAuthorization","brand":"acme","channel":"live","companyPrefixes":[],"#
                + #""validFrom":"2026-12-12T20:00:00+08:00","validUntil":"2026-12-12T22:00:00+08:00","#
                + #""withdrawn":false,"basis":3}"#)
        #expect(try RegistryStatement(payload: statement.payload) == statement)
        // One end open; no window at all reads as always (the statements written before windows).
        let open = try AuthorizationWindow(validFrom: nil, validUntil: "2027-01-01T00:00:00Z")
        #expect(open.contains(micros: .min) && !open.contains(micros: open.untilMicros ?? 0))
        let plain = try RegistryStatement(
            payload: Array(
                #"{"type":"ChannelAuthorization","brand":"acme","channel":"live","companyPrefixes":[],"withdrawn":false,"basis":3}"#
                    .utf8))
        #expect(
            plain.change == .channelAuthorization(brand: "acme", channel: "live", companyPrefixes: [], withdrawn: false)
        )
        #expect(window.contains(micros: window.fromMicros ?? 0) && !window.contains(micros: window.untilMicros ?? 0))
        // Refused: an end not after the start, a time without a zone or not a time, a withdrawal with a window.
        let refusals: [(String, StatementCode)] = [
            (#""validFrom":"2026-12-12T22:00:00+08:00","validUntil":"2026-12-12T14:00:00Z","#, .registryValidUntil),
            (#""validFrom":"2026-12-12T20:00:00","#, .registryValidFrom),
            (#""validUntil":"tomorrow","#, .registryValidUntil),
            (#""validUntil":1765548000,"#, .registryValidUntil),
            (#""validFrom":"2026-12-12T20:00:00Z","withdrawn":true,"#, .registryWithdrawn),
        ]
        for (members, code) in refusals {
            let error = try #require(throws: StatementError.self) {
                try RegistryStatement(
                    payload: Array(
                        (#"{"type":"ChannelAuthorization","brand":"acme","channel":"live","companyPrefixes":[],"#
                            + members + #""basis":3}"#).utf8))
            }
            #expect(error.code == code, "\(members): \(error)")
        }
        // In the registry: in force from the record after it, and by the clock within its window only.
        let (registry, applied) = try fold([
            (.registration(acme), operatorKey), (.registration(shop), operatorKey),
            (
                .channelAuthorization(
                    brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: false, window: window),
                brandKey
            ),
        ])
        #expect(applied.allSatisfy { $0 == nil })
        let (start, end) = (window.fromMicros ?? 0, window.untilMicros ?? 0)
        for (seq, time, covered) in [(3, start, true), (3, end - 1, true), (3, end, false), (3, start - 1, false)]
            as [(Int64, Int64, Bool)]
        {
            #expect(
                registry.isAuthorized(channel: "shop", brand: "acme", companyPrefix: "0614141", at: seq, time: time)
                    == covered)
        }
        #expect(!registry.isAuthorized(channel: "shop", brand: "acme", companyPrefix: "0614141", at: 2, time: start))
        #expect(registry.authorizations(of: "acme", companyPrefix: nil, at: 3, time: nil).map(\.window) == [window])
        #expect(registry.authorizations(of: "acme", companyPrefix: nil, at: 3, time: end).isEmpty)
    }

    @Test("keys are valid from the record after they are added until they are rotated out or revoked")
    func keyValidity() throws {
        let (registry, refusals) = try fold([
            (.registration(acme), operatorKey),  // 0
            (.registration(shop), operatorKey),  // 1
            (.channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: false), brandKey),
            (.keyRotation(participant: "shop", newKey: shopKey2.keyID, retiredKey: shopKey.keyID), operatorKey),  // 3
            (.revocation(participant: "acme", key: nil, reason: "left the scheme"), operatorKey),  // 4
        ])
        #expect(refusals.allSatisfy { $0 == nil })
        #expect(registry.signer(shopKey.keyID, at: 1) == .notYetValid(participant: "shop"))
        #expect(registry.signer(shopKey.keyID, at: 2) == .valid(participant: "shop"))
        #expect(registry.signer(shopKey.keyID, at: 3) == .retired(participant: "shop", at: 3))
        #expect(registry.signer(shopKey2.keyID, at: 3) == .notYetValid(participant: "shop"))
        #expect(registry.signer(shopKey2.keyID, at: 4) == .valid(participant: "shop"))
        #expect(registry.signer(brandKey.keyID, at: 3) == .valid(participant: "acme"))
        #expect(registry.signer(brandKey.keyID, at: 4) == .revoked(participant: "acme", at: 4))
        #expect(registry.signer(farmKey.keyID, at: 4) == .unknown)
    }

    @Test("a revoked key is refused from its revocation on, the participant's other keys stay")
    func keyRevocation() throws {
        let both = Participant.Profile(
            id: "shop", name: "Shop", roles: [.retailer], keys: [shopKey.keyID, shopKey2.keyID])
        let (registry, refusals) = try fold([
            (.registration(both), operatorKey),
            (.revocation(participant: "shop", key: shopKey.keyID, reason: "laptop stolen"), operatorKey),
        ])
        #expect(refusals.allSatisfy { $0 == nil })
        #expect(registry.signer(shopKey.keyID, at: 2) == .revoked(participant: "shop", at: 1))
        #expect(registry.signer(shopKey2.keyID, at: 2) == .valid(participant: "shop"))
    }

    @Test("authorisations are granted by the brand's key and can be withdrawn")
    func authorisations() throws {
        let (registry, refusals) = try fold([
            (.registration(acme), operatorKey), (.registration(shop), operatorKey),
            (
                .channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: ["0614141"], withdrawn: false),
                brandKey
            ),
            (.registration(.init(id: "farm", name: "Farm", roles: [.origin], keys: [farmKey.keyID])), operatorKey),
            (.channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: true), brandKey),
        ])
        #expect(refusals.allSatisfy { $0 == nil })
        #expect(!registry.isAuthorized(channel: "shop", brand: "acme", companyPrefix: "0614141", at: 2, time: 0))
        #expect(registry.isAuthorized(channel: "shop", brand: "acme", companyPrefix: "0614141", at: 3, time: 0))
        #expect(!registry.isAuthorized(channel: "shop", brand: "acme", companyPrefix: "4012345", at: 3, time: 0))
        #expect(!registry.isAuthorized(channel: "shop", brand: "acme", companyPrefix: "0614141", at: 4, time: 0))
    }

    @Test(
        "statements that cannot apply are refused with their reason and change nothing",
        arguments: [
            ("registration not by the operator", RegistryCode.signer),
            ("duplicate id", RegistryCode.id),
            ("key already registered", RegistryCode.key),
            ("company prefix already owned", RegistryCode.companyPrefix),
            ("bad GLN", RegistryCode.location),
            ("rotation of an unknown participant", RegistryCode.participant),
            ("retiring a key that is not the participant's", RegistryCode.retiredKey),
            ("authorisation signed by the channel", RegistryCode.signer),
            ("authorisation by a participant that is not a brand", RegistryCode.brand),
            ("authorisation of a farm", RegistryCode.channel),
            ("authorisation for another's prefix", RegistryCode.companyPrefix),
            ("anything about a revoked participant", RegistryCode.revoked),
        ])
    func refusals(case name: String, code: RegistryCode) throws {
        let farm = Participant.Profile(
            id: "farm", name: "Farm", roles: [.origin], companyPrefixes: ["8901234"], keys: [farmKey.keyID])
        let setUp: [(RegistryStatement.Change, SigningKey)] = [
            (.registration(acme), operatorKey), (.registration(shop), operatorKey), (.registration(farm), operatorKey),
        ]
        let bad: (RegistryStatement.Change, SigningKey) =
            switch name {
            case "registration not by the operator":
                (.registration(.init(id: "x", name: "X", roles: [.brand], keys: [shopKey2.keyID])), brandKey)
            case "duplicate id":
                (.registration(.init(id: "shop", name: "X", roles: [.brand], keys: [shopKey2.keyID])), operatorKey)
            case "key already registered":
                (.registration(.init(id: "x", name: "X", roles: [.brand], keys: [shopKey.keyID])), operatorKey)
            case "company prefix already owned":
                (
                    .registration(
                        .init(id: "x", name: "X", roles: [.brand], companyPrefixes: ["0614141"], keys: [shopKey2.keyID])
                    ), operatorKey
                )
            case "bad GLN":
                (
                    .registration(
                        .init(id: "x", name: "X", roles: [.brand], locations: ["0614141000006"], keys: [shopKey2.keyID])
                    ), operatorKey
                )
            case "rotation of an unknown participant":
                (.keyRotation(participant: "nobody", newKey: shopKey2.keyID, retiredKey: nil), operatorKey)
            case "retiring a key that is not the participant's":
                (.keyRotation(participant: "shop", newKey: shopKey2.keyID, retiredKey: brandKey.keyID), operatorKey)
            case "authorisation signed by the channel":
                (.channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: false), shopKey)
            case "authorisation by a participant that is not a brand":
                (.channelAuthorization(brand: "farm", channel: "shop", companyPrefixes: [], withdrawn: false), farmKey)
            case "authorisation of a farm":
                (.channelAuthorization(brand: "acme", channel: "farm", companyPrefixes: [], withdrawn: false), brandKey)
            case "authorisation for another's prefix":
                (
                    .channelAuthorization(
                        brand: "acme", channel: "shop", companyPrefixes: ["8901234"], withdrawn: false), brandKey
                )
            default: (.keyRotation(participant: "farm", newKey: shopKey2.keyID, retiredKey: nil), operatorKey)
            }
        var statements = setUp
        if name == "anything about a revoked participant" {
            statements.append((.revocation(participant: "farm", key: nil, reason: "fraud"), operatorKey))
        }
        let (before, _) = try fold(statements)
        let (after, refusals) = try fold(statements + [bad])
        #expect(refusals.dropLast().allSatisfy { $0 == nil })
        #expect(refusals.last??.matches(code) == true, "\(String(describing: refusals.last))")
        #expect(after.participants == before.participants)
        #expect(after.authorizations == before.authorizations)
    }

    @Test("a statement applies only in the state it was signed for: no replay after a withdrawal, no held-back one")
    func freshness() throws {
        let grant = RegistryStatement.channelAuthorization(
            brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: false, basis: 2)
        let withdrawal = RegistryStatement.channelAuthorization(
            brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: true, basis: 3)
        let setUp: [(RegistryStatement, SigningKey)] = [
            (.registration(acme, basis: 0), operatorKey), (.registration(shop, basis: 1), operatorKey),
            (grant, brandKey), (withdrawal, brandKey),
        ]
        // The earlier grant, posted again after the withdrawal: stale.
        let (_, replayed) = try fold(setUp + [(grant, brandKey)])
        #expect(replayed.dropLast().allSatisfy { $0 == nil })
        #expect(replayed.last??.matches(RegistryCode.stale) == true)
        // A new grant, signed against the log as it stands, applies.
        let regrant = RegistryStatement.channelAuthorization(
            brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: false, basis: 4)
        let (registry, fresh) = try fold(setUp + [(regrant, brandKey)])
        #expect(fresh.allSatisfy { $0 == nil })
        #expect(registry.isAuthorized(channel: "shop", brand: "acme", companyPrefix: nil, at: 5, time: 0))
        // Two rotations signed against the same log: the first applies, the second is stale.
        let first = RegistryStatement.keyRotation(
            participant: "shop", newKey: shopKey2.keyID, retiredKey: nil, basis: 2)
        let second = RegistryStatement.keyRotation(
            participant: "shop", newKey: farmKey.keyID, retiredKey: nil, basis: 2)
        let (_, raced) = try fold(Array(setUp.prefix(2)) + [(first, operatorKey), (second, operatorKey)])
        #expect(raced.map { $0?.codeName } == [nil, nil, nil, RegistryCode.stale.rawValue])
        // A change to another subject does not make a statement stale.
        let farm = RegistryStatement.registration(
            .init(id: "farm", name: "Farm", roles: [.origin], keys: [farmKey.keyID]), basis: 2)
        let (_, other) = try fold(Array(setUp.prefix(3)) + [(farm, operatorKey)])
        #expect(other.allSatisfy { $0 == nil })
    }

    @Test("a basis past the record, or none, is refused where freshness is required")
    func basisRequired() throws {
        let registry = Registry(operatorKey: operatorKey.keyID)
        let future = RegistryStatement.registration(acme, basis: 5)
        #expect(registry.refusal(of: future, signers: [operatorKey.keyID], at: 4)?.code == .basis)
        let none = RegistryStatement.registration(acme, basis: nil)
        #expect(registry.refusal(of: none, signers: [operatorKey.keyID], at: 0)?.code == .basis)
        // A log recorded before the rule still folds: its statements have no basis.
        let (folded, refusals) = try fold([(none, operatorKey)])
        #expect(refusals.count == 1 && refusals[0] == nil)
        #expect(folded.participants["acme"] != nil)
    }
}
