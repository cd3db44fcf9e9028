import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import Participants
import Statements
import Testing
import TransparencyLog

/// Each listing reason with a case that shows it and one that does not (issue 4, point 3).
@Suite struct ListingCheckTests {
    typealias I = IntegrityRulesTests

    /// The integrity fixture's registry, with the retailer authorised by the brand.
    static let registry: Registry = {
        var registry = I.registry
        let brandKey = try! SigningKey(name: "brand", seed: Array(repeating: 10, count: 32))
        registry.apply(
            seq: registry.size,
            statement: .channelAuthorization(
                brand: "brand", channel: "retailer", companyPrefixes: [], withdrawn: false, basis: registry.size),
            signers: [brandKey.keyID])
        return registry
    }()

    static let shirt = DigitalLink.canonical(I.shirt)

    static func journey(_ steps: [IntegrityRules.Step]) -> Journey {
        Journey(
            code: I.shirt, identifier: shirt,
            steps: steps.map {
                Journey.Step(
                    seq: $0.seq, event: $0.event, hash: $0.event.hash(), participant: $0.recorder, stage: .channel,
                    via: .product)
            })
    }

    static func check(
        _ steps: [IntegrityRules.Step], seller: String = "retailer", claims: [(key: String, value: String)] = [],
        registry: Registry = registry, at micros: Int64 = Timestamp.nowMicros
    ) -> ListingCheck.Result {
        let journey = journey(steps)
        return ListingCheck.check(
            journey: journey, seller: seller, claims: claims,
            integrity: IntegrityRules.check(steps, registry: registry),
            registry: registry, at: micros)
    }

    static let atRetailer = [
        I.step(
            100, "brand", hour: 1,
            I.object(
                "commissioning", "ADD",
                extra:
                    #","certificationInfo":["https://certifier.example/gots/TC-9"],"ilmd":{"cbvmda:countryOfOrigin":"PT"}"#
            )),
        I.step(101, "brand", hour: 2, I.ship(to: "4012345")), I.step(102, "retailer", hour: 3, I.object("receiving")),
        I.step(
            103, "certifier", hour: 4,
            I.object("inspecting", extra: #","certificationInfo":["https://certifier.example/gots/TC-9"]"#)),
    ]

    func reasons(_ result: ListingCheck.Result) -> [ListingCheck.Reason] { result.findings.map(\.reason) }

    @Test func anAuthorisedCustodianSellingAnUnsoldProductIsGenuine() {
        let result = Self.check(
            Self.atRetailer, claims: [("certification", "gots"), ("countryOfOrigin", "pt"), ("brand", "brand")])
        #expect(result.verdict == .genuine)
        #expect(result.findings.isEmpty)
    }

    /// A live-stream's authorisation: the retailer may sell from 20:00 until 22:00 (Beijing time) only.
    @Test func anAuthorisationWithAWindowCoversTheListingsWithinIt() throws {
        var registry = I.registry
        let brandKey = try SigningKey(name: "brand", seed: Array(repeating: 10, count: 32))
        let window = try AuthorizationWindow(
            validFrom: "2026-12-12T20:00:00+08:00", validUntil: "2026-12-12T22:00:00+08:00")
        registry.apply(
            seq: registry.size,
            statement: .channelAuthorization(
                brand: "brand", channel: "retailer", companyPrefixes: [], withdrawn: false, window: window,
                basis: registry.size),
            signers: [brandKey.keyID])
        func at(_ time: String) throws -> ListingCheck.Result {
            Self.check(Self.atRetailer, registry: registry, at: try #require(Timestamp.parseDateTime(time)).micros)
        }
        // The start is in the window, the end is not.
        for inside in ["2026-12-12T20:00:00+08:00", "2026-12-12T13:59:59.999Z"] {
            let result = try at(inside)
            #expect(result.verdict == .genuine, "\(inside): \(result.findings)")
        }
        for outside in ["2026-12-12T19:59:59+08:00", "2026-12-12T22:00:00+08:00", "2027-01-01T00:00:00Z"] {
            let result = try at(outside)
            #expect(reasons(result) == [.sellerNotAuthorised], "\(outside)")
            #expect(
                result.findings.first?.message
                    == "'brand' authorises 'retailer' from 2026-12-12T20:00:00+08:00 until 2026-12-12T22:00:00+08:00,"
                    + " not at \(result.at)")
        }
        #expect(try at("2026-12-12T23:30:00+08:00").at == "2026-12-12T15:30:00.000Z")
    }

    @Test func anUnknownProductIsUnknown() {
        let result = Self.check([])
        #expect(result.verdict == .unknown)
        #expect(reasons(result) == [.unknownProduct])
    }

    @Test func theSellerMustBeAuthorisedAndHoldIt() {
        // The marketplace is registered but not authorised, and does not hold it.
        #expect(reasons(Self.check(Self.atRetailer, seller: "market")) == [.sellerNotAuthorised, .sellerNotCustodian])
        #expect(reasons(Self.check(Self.atRetailer, seller: "nobody")) == [.sellerNotAuthorised, .sellerNotCustodian])
        // The brand may sell its own products without an authorisation, but it no longer holds this one.
        let brand = Self.check(Self.atRetailer, seller: "brand")
        #expect(reasons(brand) == [.sellerNotCustodian])
        #expect(brand.findings.first?.records == [102])
    }

    @Test func soldRecalledClonedAndOverproducedAreSuspect() {
        let sold = Self.atRetailer + [I.step(104, "retailer", hour: 5, I.object("retail_selling"))]
        #expect(reasons(Self.check(sold)) == [.alreadySold])
        let recalled =
            Self.atRetailer + [I.step(104, "brand", hour: 5, I.object("holding", extra: #","disposition":"recalled""#))]
        #expect(reasons(Self.check(recalled)) == [.recalled])
        let cloned = Self.atRetailer + [I.step(104, "market", hour: 5, I.object("receiving"))]
        #expect(reasons(Self.check(cloned, seller: "market")).contains(.cloneSuspected))
        let material = I.step(
            99, "factory", hour: 0,
            #""type":"TransformationEvent","bizStep":"commissioning","inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:8801234.012345.F1","quantity":1,"uom":"KGM"}],"outputQuantityList":[{"epcClass":"urn:epc:class:lgtin:8801234.022222.Y1","quantity":2,"uom":"KGM"}]"#
        )
        #expect(reasons(Self.check([material] + Self.atRetailer)) == [.massBalanceExceeded])
    }

    @Test func claimsNeedRecordsBehindThem() {
        let result = Self.check(
            Self.atRetailer, claims: [("certification", "oeko-tex"), ("countryOfOrigin", "IN"), ("brand", "acme")])
        #expect(reasons(result) == [.claimNotSupported, .claimNotSupported, .claimNotSupported])
        // A certificate only the claimant names is no support.
        let unsupported = Array(Self.atRetailer.dropLast())
        #expect(reasons(Self.check(unsupported, claims: [("certification", "gots")])) == [.claimNotSupported])
    }
}
