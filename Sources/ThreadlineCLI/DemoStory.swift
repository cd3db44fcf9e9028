import Foundation
import Provenance
import TransparencyLog

/// The demo's supply chain: a T-shirt from cotton bale to shop, as EPCIS 2.0 events signed by the
/// parties that did each step. Keys come from fixed seeds: they are for demonstration only.
/// The same payloads and keys are in `samples/tshirt/` (a test keeps them equal).
enum DemoStory {
    struct Party {
        let role: String
        let name: String
        var key: SigningKey {
            // A fixed seed per party, so the demo's keys (and the sample key files) never change.
            try! SigningKey(name: name, seed: Hash.sha256(Array("threadline demo key \(name)".utf8)).bytes)
        }
    }

    struct Step {
        let file: String
        let party: Party
        let summary: String
        let payload: String
    }

    static let origin = "demo.threadline.example/tshirt"
    static let farm = Party(role: "origin", name: "gujarat-cotton-coop")
    static let mill = Party(role: "manufacturer", name: "tiruppur-spinning-mill")
    static let factory = Party(role: "manufacturer", name: "dhaka-garment-works")
    static let brand = Party(role: "brand", name: "northwind-apparel")
    static let retailer = Party(role: "channel", name: "harbour-street-store")
    static let parties = [farm, mill, factory, brand, retailer]

    static let payloadType = "application/ld+json"

    static let steps: [Step] = [
        Step(
            file: "01-cotton-harvested.json", party: farm, summary: "commissions cotton bale lot B-2026-114",
            payload: event(
                type: "ObjectEvent", time: "2026-03-02T06:10:00.000+05:30", bizStep: "commissioning",
                what:
                    #""quantityList":[{"epcClass":"urn:epc:class:lgtin:0614141.011111.B-2026-114","quantity":480,"uom":"KGM"}]"#,
                location: "urn:epc:id:sgln:0614141.00001.0", action: "ADD")),
        Step(
            file: "02-spun-into-yarn.json", party: mill, summary: "spins the bale into yarn lot Y-7731",
            payload: event(
                type: "TransformationEvent", time: "2026-04-11T14:00:00.000+05:30", bizStep: "transforming",
                what:
                    #""inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:0614141.011111.B-2026-114","quantity":480,"uom":"KGM"}],"outputQuantityList":[{"epcClass":"urn:epc:class:lgtin:0614141.022222.Y-7731","quantity":452,"uom":"KGM"}]"#,
                location: "urn:epc:id:sgln:0614141.00002.0", action: nil)),
        Step(
            file: "03-tshirts-sewn.json", party: factory, summary: "sews T-shirts, serials 1001-1003, from the yarn",
            payload: event(
                type: "TransformationEvent", time: "2026-05-20T09:30:00.000+06:00", bizStep: "transforming",
                what:
                    #""inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:0614141.022222.Y-7731","quantity":0.6,"uom":"KGM"}],"outputEPCList":["urn:epc:id:sgtin:0614141.033333.1001","urn:epc:id:sgtin:0614141.033333.1002","urn:epc:id:sgtin:0614141.033333.1003"]"#,
                location: "urn:epc:id:sgln:0614141.00003.0", action: nil)),
        Step(
            file: "04-shipped-to-store.json", party: brand, summary: "ships the T-shirts to the store",
            payload: event(
                type: "ObjectEvent", time: "2026-06-03T08:00:00.000+02:00", bizStep: "shipping",
                what:
                    #""epcList":["urn:epc:id:sgtin:0614141.033333.1001","urn:epc:id:sgtin:0614141.033333.1002","urn:epc:id:sgtin:0614141.033333.1003"]"#,
                location: "urn:epc:id:sgln:0614141.00004.0", action: "OBSERVE")),
        Step(
            file: "05-received-by-store.json", party: retailer, summary: "receives the T-shirts",
            payload: event(
                type: "ObjectEvent", time: "2026-06-06T16:45:00.000+01:00", bizStep: "receiving",
                what:
                    #""epcList":["urn:epc:id:sgtin:0614141.033333.1001","urn:epc:id:sgtin:0614141.033333.1002","urn:epc:id:sgtin:0614141.033333.1003"]"#,
                location: "urn:epc:id:sgln:0614141.00005.0", action: "OBSERVE")),
    ]

    private static func event(
        type: String, time: String, bizStep: String, what: String, location: String, action: String?
    ) -> String {
        let offset = String(time.suffix(6))
        let actionField = action.map { #""action":"\#($0)","# } ?? ""
        return #"{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],"type":"\#(type)","#
            + #""eventTime":"\#(time)","eventTimeZoneOffset":"\#(offset)",\#(what),\#(actionField)"#
            + #""bizStep":"\#(bizStep)","readPoint":{"id":"\#(location)"},"bizLocation":{"id":"\#(location)"}}"#
            + "\n"
    }
}
