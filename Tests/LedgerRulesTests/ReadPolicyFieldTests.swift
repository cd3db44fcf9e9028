import EPCIS
import LedgerRules
import Statements
import Testing

/// Need-to-know at field level (Specs/23-sealed-events.md §4): what a consumer holding a product is shown of each
/// sealed step of its journey, and that nothing else is in what it is given.
struct ReadPolicyFieldTests {
    static let made = try! JSONValue(
        parsing: #"""
            {"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"TransformationEvent","eventTime":"2026-11-03T15:00:00+06:00","eventTimeZoneOffset":"+06:00","bizStep":"commissioning","inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:8801234.012345.DYE-A","quantity":3,"uom":"KGM"},{"epcClass":"urn:epc:class:lgtin:8801234.012345.DYE-B","quantity":2,"uom":"KGM"}],"outputEPCList":["urn:epc:id:sgtin:0614141.112345.TS-0001","urn:epc:id:sgtin:0614141.112345.TS-0002","urn:epc:id:sgtin:0614141.112345.TS-0003"],"bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:0614141000005:PO-77"}],"bizLocation":{"id":"urn:epc:id:sgln:8801234.00001.0"},"certificationInfo":["https://certifier.example/gots/TC-2026-GAR-1103"]}
            """#)

    /// What a consumer is given: the event its disclosures open to, and their decoded text.
    static func view(naming identifier: String) throws -> (event: JSONValue, text: String) {
        let sealed = try SealedEvent.seal(made)
        let given = ReadPolicy.consumerDisclosures(
            payload: sealed.payload, disclosures: sealed.disclosures, naming: [identifier])
        let text = given.map { ($0.name ?? "") + " " + $0.value.serialized }.joined(separator: "\n")
        return (try SealedEvent.open(sealed.payload, disclosures: given), text)
    }

    @Test func theConsumerOfOneShirtSeesItsStepButNotTheOtherShirtsOrTheQuantities() throws {
        // The product as its label's Digital Link; the event names it as an EPC URN.
        let (event, text) = try Self.view(naming: "https://id.gs1.org/01/10614141123459/21/TS-0001")
        #expect(event["bizStep"] == .string("commissioning"))
        #expect(event["eventTime"] == .string("2026-11-03T15:00:00+06:00"))
        #expect(event["eventTimeZoneOffset"] == .string("+06:00"))
        #expect(event["certificationInfo"] == .array([.string("https://certifier.example/gots/TC-2026-GAR-1103")]))
        #expect(event["outputEPCList"] == .array([.string("urn:epc:id:sgtin:0614141.112345.TS-0001")]))
        for absent in ["inputQuantityList", "bizTransactionList", "bizLocation"] { #expect(event[absent] == nil) }
        for secret in ["TS-0002", "TS-0003", "DYE-A", "PO-77", "KGM", "8801234.00001"] {
            #expect(!text.contains(secret), "\(secret) is given to the consumer")
        }
    }

    @Test func theConsumerSeesTheMaterialButNotHowMuchOfItWentIn() throws {
        let (event, text) = try Self.view(naming: "urn:epc:class:lgtin:8801234.012345.DYE-A")
        #expect(
            event["inputQuantityList"]
                == .array([.object([.init("epcClass", .string("urn:epc:class:lgtin:8801234.012345.DYE-A"))])]))
        #expect(event["outputEPCList"] == nil)
        for secret in ["DYE-B", "TS-0001", "quantity", "KGM", "PO-77"] {
            #expect(!text.contains(secret), "\(secret) is given to the consumer")
        }
    }

    @Test func aStepThatDoesNotNameTheProductShowsOnlyItsWholeMembers() throws {
        let (event, text) = try Self.view(naming: "https://id.gs1.org/01/10614141123459/21/TS-0009")
        #expect(event["bizStep"] == .string("commissioning"))
        #expect(event["outputEPCList"] == nil && event["inputQuantityList"] == nil)
        #expect(!text.contains("TS-000"))
    }
}

extension ReadPolicyFieldTests {
    @Test func aRecallsPublicReasonIsAConsumersAndNoOtherExtension() throws {
        let recall = try JSONValue(
            parsing: #"""
                {"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"tl":"https://threadline.example/ns/","acme":"https://acme.example/ns/"}],"type":"ObjectEvent","eventTime":"2026-11-26T12:00:00+01:00","eventTimeZoneOffset":"+01:00","action":"OBSERVE","bizStep":"holding","disposition":"recalled","epcList":["urn:epc:id:sgtin:0614141.112345.TS-0101","urn:epc:id:sgtin:0614141.112345.TS-0102"],"tl:reason":"dye lot DYE-B failed the colour-fastness test","acme:supplierNote":"rework at Erode"}
                """#)
        let sealed = try SealedEvent.seal(recall)
        let given = ReadPolicy.consumerDisclosures(
            payload: sealed.payload, disclosures: sealed.disclosures,
            naming: ["https://id.gs1.org/01/10614141123459/21/TS-0101"])
        let event = try SealedEvent.open(sealed.payload, disclosures: given)
        #expect(event["tl:reason"] == .string("dye lot DYE-B failed the colour-fastness test"))
        #expect(event["acme:supplierNote"] == nil && event["disposition"] == .string("recalled"))
        let text = given.map { $0.value.serialized }.joined(separator: "\n")
        #expect(!text.contains("Erode") && !text.contains("TS-0102"))
    }
}
