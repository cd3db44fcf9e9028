import Foundation
import LedgerStore
import Testing
import TransparencyLog

@testable import Threadline
import EPCIS
import GS1Identifiers

/// How a journey follows containers and materials (issue 3, point 5).
@Suite struct TraceTests {
    typealias R = RecordingTests

    static func aggregate(_ action: String, time: String, step: String) -> [UInt8] {
        R.event(
            #""type":"AggregationEvent","action":"\#(action)","bizStep":"\#(step)","parentID":"urn:epc:id:sscc:0614141.1000000001","childEPCs":["urn:epc:id:sgtin:0614141.112345.1"]"#,
            time: time)
    }

    static func carton(_ step: String, time: String) -> [UInt8] {
        R.event(
            #""type":"ObjectEvent","action":"OBSERVE","bizStep":"\#(step)","epcList":["urn:epc:id:sscc:0614141.1000000001"]"#,
            time: time)
    }

    @Test func aContainerCountsOnlyWhileTheProductIsInIt() async throws {
        let ledger = try await R.ledger()
        let range = try await ledger.append(
            try [
                R.signed(Self.carton("inspecting", time: "2026-09-01T00:00:00Z"), by: R.brand),  // 4: before packing
                R.signed(R.commissionShirts, by: R.brand),  // 5 (09-01 08:00)
                R.signed(Self.aggregate("ADD", time: "2026-09-02T00:00:00Z", step: "packing"), by: R.brand),  // 6
                R.signed(Self.carton("shipping", time: "2026-09-03T00:00:00Z"), by: R.brand),  // 7
                R.signed(Self.aggregate("DELETE", time: "2026-09-04T00:00:00Z", step: "unpacking"), by: R.brand),  // 8
                R.signed(Self.carton("storing", time: "2026-09-05T00:00:00Z"), by: R.brand),  // 9: carton reused
            ])
        #expect(range == 4..<10)
        let journey = try await ledger.trace("https://id.gs1.org/01/10614141123459/21/1")
        #expect(journey.steps.map(\.seq) == [5, 6, 7, 8])
        #expect(
            journey.steps[2].via
                == .container(DigitalLink.canonical("urn:epc:id:sscc:0614141.1000000001"), within: journey.identifier))
        #expect(journey.steps.map(\.stage) == [.manufacturer, .brand, .brand, .brand])
        #expect(!journey.isRecalled)
    }

    @Test func materialsAreFollowedBackToTheRawMaterialButNotIntoOtherProducts() async throws {
        let ledger = try await R.ledger()
        let spin = R.event(
            #""type":"TransformationEvent","bizStep":"commissioning","inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:8901234.012345.B1","quantity":100,"uom":"KGM"}],"outputEPCList":["urn:epc:id:sgtin:0614141.112345.1"]"#,
            time: "2026-09-05T00:00:00Z")
        let other = R.event(
            #""type":"TransformationEvent","bizStep":"commissioning","inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:8901234.012345.B1","quantity":100,"uom":"KGM"}],"outputEPCList":["urn:epc:id:sgtin:0614141.112345.2"]"#,
            time: "2026-09-04T00:00:00Z")
        let later = R.event(
            #""type":"ObjectEvent","action":"OBSERVE","bizStep":"inspecting","quantityList":[{"epcClass":"urn:epc:class:lgtin:8901234.012345.B1"}]"#,
            time: "2026-09-06T00:00:00Z")
        _ = try await ledger.append(
            try [
                R.signed(R.commissionBale, by: R.farm),  // 4
                R.signed(other, by: R.brand),  // 5: the same bale, made into another shirt
                R.signed(spin, by: R.brand),  // 6
                R.signed(later, by: R.certifier),  // 7: after the shirt was made
            ])
        let journey = try await ledger.trace("urn:epc:id:sgtin:0614141.112345.1")
        #expect(journey.steps.map(\.seq) == [4, 6])
        #expect(
            journey.steps[0].via == .material(DigitalLink.canonical("urn:epc:class:lgtin:8901234.012345.B1"), record: 6)
        )
        #expect(journey.steps[0].stage == .origin)
    }

    @Test func queriesCombineConditions() async throws {
        let ledger = try await R.ledger()
        _ = try await ledger.append(
            try [
                R.signed(R.commissionShirts, by: R.brand), R.signed(R.shipShirts, by: R.brand),
                R.signed(R.sellShirt, by: R.shop), R.signed(R.commissionBale, by: R.farm),
            ])
        var query = EventQuery()
        query.matchEPC = ["https://id.gs1.org/01/10614141123459/21/1"]
        #expect(try await ledger.query(query).map(\.seq) == [4, 5, 6])
        query.bizStep = ["shipping", "urn:epcglobal:cbv:bizstep:retail_selling"]
        #expect(try await ledger.query(query).map(\.seq) == [5, 6])
        query.actions = [.add]
        #expect(try await ledger.query(query).isEmpty)
        var classes = EventQuery()
        classes.matchEPCClass = ["urn:epc:class:lgtin:8901234.012345.B1"]
        classes.eventTypes = [.object]
        #expect(try await ledger.query(classes).map(\.seq) == [7])
        var time = EventQuery()
        time.fromTime = Timestamp.parseDateTime("2026-09-01T08:00:00Z")!.micros
        time.beforeTime = Timestamp.parseDateTime("2026-09-01T08:00:00.001Z")!.micros
        time.limit = 2
        #expect(try await ledger.query(time).map(\.seq) == [4, 5])
        // No indexed condition: the log is read in order, page by page, passing over the registry's records.
        var all = EventQuery()
        all.limit = 3
        let first = try await ledger.page(all)
        #expect(first.events.map(\.seq) == [4, 5, 6] && first.next == 6)
        all.afterSeq = 6
        let second = try await ledger.page(all)
        #expect(second.events.map(\.seq) == [7] && second.next == nil)
        all.afterSeq = 7
        #expect(try await ledger.page(all).events.isEmpty)
    }
}
