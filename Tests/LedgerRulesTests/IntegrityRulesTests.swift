import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import Participants
import Statements
import Testing
import TransparencyLog

/// Each integrity rule with a case that passes and one that fails (issue 4, point 2).
@Suite struct IntegrityRulesTests {
    static let operatorKey = try! SigningKey(name: "ledger.example", seed: Array(repeating: 1, count: 32))

    /// A registry with a brand (0614141), a factory, a retailer (4012345), a marketplace (6912345), a certifier.
    static let registry: Registry = {
        var registry = Registry(operatorKey: operatorKey.keyID)
        let people: [(String, Participant.Role, String)] = [
            ("brand", .brand, "0614141"), ("factory", .manufacturer, "8801234"), ("retailer", .retailer, "4012345"),
            ("market", .marketplace, "6912345"), ("certifier", .certifier, "4099990"),
        ]
        for (i, (id, role, prefix)) in people.enumerated() {
            let key = try! SigningKey(name: id, seed: Array(repeating: UInt8(10 + i), count: 32))
            let gln = prefix + String(repeating: "0", count: 12 - prefix.count)
            registry.apply(
                seq: Int64(i),
                statement: .registration(
                    .init(
                        id: id, name: id, roles: [role], companyPrefixes: [prefix],
                        locations: [gln + String(GS1.checkDigit(of: Substring(gln)))], keys: [key.keyID]),
                    basis: Int64(i)),
                signers: [operatorKey.keyID])
        }
        return registry
    }()

    static let shirt = "urn:epc:id:sgtin:0614141.112345.1"
    static func party(_ prefix: String) -> String {
        "urn:epc:id:pgln:\(prefix).\(String(repeating: "0", count: 12 - prefix.count))"
    }

    /// A step recorded by `who` at hour `hour` of 2026-09-01.
    static func step(_ seq: Int64, _ who: String, hour: Int, _ body: String) -> IntegrityRules.Step {
        let time = String(format: "2026-09-01T%02d:00:00Z", hour)
        let json = try! JSONValue(
            parsing: #"{"eventTime":"\#(time)","eventTimeZoneOffset":"+00:00",\#(body)}"#)
        return IntegrityRules.Step(seq: seq, event: try! EPCISEvent(json: json), recorder: registry.participants[who])
    }

    static func object(
        _ step: String, _ action: String = "OBSERVE", epcs: [String] = [shirt], extra: String = ""
    ) -> String {
        #""type":"ObjectEvent","action":"\#(action)","bizStep":"\#(step)","epcList":[\#(epcs.map { "\"\($0)\"" }.joined(separator: ","))]\#(extra)"#
    }

    static func ship(to prefix: String) -> String {
        object("shipping", extra: #","destinationList":[{"type":"owning_party","destination":"\#(party(prefix))"}]"#)
    }

    static let made = step(10, "brand", hour: 1, object("commissioning", "ADD"))

    func codes(_ steps: [IntegrityRules.Step]) -> [IntegrityRules.Code] {
        IntegrityRules.check(steps, registry: Self.registry).map(\.code)
    }

    @Test func aCleanJourneyPassesEveryRule() {
        let steps = [
            Self.made, Self.step(11, "brand", hour: 2, Self.ship(to: "4012345")),
            Self.step(12, "retailer", hour: 3, Self.object("receiving")),
            Self.step(13, "retailer", hour: 4, Self.object("retail_selling", extra: #","disposition":"retail_sold""#)),
        ]
        #expect(codes(steps) == [])
    }

    @Test func custodyContinuity() {
        // A receipt with no shipment; a party shipping what it does not hold.
        #expect(codes([Self.step(11, "retailer", hour: 3, Self.object("receiving"))]) == [.receiptWithoutShipment])
        #expect(codes([Self.made, Self.step(11, "retailer", hour: 2, Self.ship(to: "6912345"))]) == [.shippedNotHeld])
    }

    @Test func stageOrder() {
        #expect(
            codes([Self.step(11, "retailer", hour: 2, Self.object("retail_selling"))]) == [.saleBeforeCommissioning])
        let sold = Self.step(11, "brand", hour: 2, Self.object("retail_selling"))
        #expect(
            codes([Self.made, sold, Self.step(12, "brand", hour: 3, Self.object("inspecting"))]) == [.eventAfterEnd])
        let destroyed = Self.step(
            11, "brand", hour: 2, Self.object("destroying", extra: #","disposition":"destroyed""#))
        #expect(
            codes([Self.made, destroyed, Self.step(12, "brand", hour: 3, Self.object("inspecting"))]) == [
                .destroyed, .eventAfterEnd,
            ])
    }

    @Test func massBalance() {
        func transform(_ seq: Int64, input: Int, output: Int, yield: String = "") -> IntegrityRules.Step {
            Self.step(
                seq, "factory", hour: 2,
                #""type":"TransformationEvent","bizStep":"commissioning","inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:8801234.012345.F1","quantity":\#(input),"uom":"KGM"}],"outputQuantityList":[{"epcClass":"urn:epc:class:lgtin:8801234.022222.Y1","quantity":\#(output),"uom":"KGM"}]\#(yield)"#
            )
        }
        let lot = Self.step(
            9, "factory", hour: 1,
            #""type":"ObjectEvent","action":"ADD","bizStep":"commissioning","quantityList":[{"epcClass":"urn:epc:class:lgtin:8801234.012345.F1","quantity":100,"uom":"KGM"}]"#
        )
        #expect(codes([lot, transform(10, input: 100, output: 90)]) == [])
        #expect(codes([lot, transform(10, input: 100, output: 120)]) == [.massBalanceExceeded])
        #expect(
            codes([lot, transform(10, input: 100, output: 90, yield: #","ilmd":{"tl:yield":0.8}"#)]) == [
                .massBalanceExceeded
            ])
        #expect(
            codes([lot, transform(10, input: 60, output: 50), transform(11, input: 60, output: 50)]) == [
                .massBalanceExceeded
            ])
    }

    @Test func commissionedTwice() {
        #expect(
            codes([Self.made, Self.step(11, "brand", hour: 2, Self.object("commissioning", "ADD"))]) == [
                .commissionedTwice
            ])
    }

    @Test func clones() {
        // Two custody chains: the marketplace receives what the retailer holds.
        let steps = [
            Self.made, Self.step(11, "brand", hour: 2, Self.ship(to: "4012345")),
            Self.step(12, "retailer", hour: 3, Self.object("receiving")),
            Self.step(13, "market", hour: 4, Self.object("receiving")),
        ]
        #expect(codes(steps) == [.cloneSuspected])
        // One serial in two places too far apart for the time between (Zurich, then Shanghai an hour later).
        let zurich = Self.step(
            11, "brand", hour: 2, Self.object("inspecting", extra: #","readPoint":{"id":"geo:47.37,8.54"}"#))
        let shanghai = Self.step(
            12, "brand", hour: 3, Self.object("inspecting", extra: #","readPoint":{"id":"geo:31.23,121.47"}"#))
        let basel = Self.step(
            12, "brand", hour: 3, Self.object("inspecting", extra: #","readPoint":{"id":"geo:47.56,7.59"}"#))
        #expect(codes([Self.made, zurich, shanghai]) == [.cloneSuspected])
        #expect(codes([Self.made, zurich, basel]) == [])
    }

    @Test func alarmingDispositions() {
        for (disposition, code) in [
            ("recalled", IntegrityRules.Code.recalled), ("stolen", .stolen), ("destroyed", .destroyed),
        ] {
            let step = Self.step(
                11, "brand", hour: 2, Self.object("holding", extra: #","disposition":"\#(disposition)""#))
            #expect(codes([Self.made, step]) == [code])
        }
        let persistent = Self.step(
            11, "brand", hour: 2, Self.object("holding", extra: #","persistentDisposition":{"set":["recalled"]}"#))
        #expect(codes([Self.made, persistent]) == [.recalled])
        #expect(
            codes([
                Self.made,
                Self.step(11, "brand", hour: 2, Self.object("holding", extra: #","disposition":"in_progress""#)),
            ]) == [])
    }

    @Test func certificationClaims() {
        let claim = #","certificationInfo":["https://certifier.example/gots/TC-1"]"#
        let claimed = Self.step(10, "brand", hour: 1, Self.object("commissioning", "ADD", extra: claim))
        #expect(codes([claimed]) == [.certificationUnsupported])
        let byBrand = Self.step(11, "brand", hour: 2, Self.object("inspecting", extra: claim))
        #expect(codes([claimed, byBrand]) == [.certificationUnsupported, .certificationUnsupported])
        let byCertifier = Self.step(11, "certifier", hour: 2, Self.object("inspecting", extra: claim))
        #expect(codes([claimed, byCertifier]) == [])
    }
}
