import EPCIS
import GS1Identifiers
import Statements

/// Need-to-know at field level, for sealed events (`Specs/23-sealed-events.md` §4): which of a sealed event's
/// disclosures a reader is given.
extension ReadPolicy {
    /// The members a consumer is shown of every step of a product's journey, whole: the business step, the event
    /// time and its zone, the action (without which an event is not one, and which says whether the product went
    /// into a container or out of it), the dispositions (which say recalled, stolen or destroyed) and the
    /// certifications.
    public static let consumerMembers: Set<String> = [
        "bizStep", "eventTime", "eventTimeZoneOffset", "action", "disposition", "persistentDisposition",
        "certificationInfo",
    ]
    /// The extension a brand writes for the public — why it recalled a product (`Specs/24-products.md` §5) — shown
    /// to a consumer with the event's other consumer members.
    public static let publicReason = "https://threadline.example/ns/reason"

    /// The lists of instance identifiers, of which a consumer is shown only the element that names the product.
    static let identifierLists: Set<String> = ["epcList", "childEPCs", "inputEPCList", "outputEPCList"]
    /// The lists of quantity elements, of which a consumer is shown only the class (`epcClass`) that names the
    /// product, never the quantity or unit.
    static let quantityLists: Set<String> = [
        "quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList",
    ]

    /// The disclosures of a sealed event (`payload`, with all of its `disclosures`) that a consumer holding the
    /// product sees of this step: `consumerMembers` whole; of an identifier or quantity list, the list and only
    /// the elements naming one of `identifiers` (the journey's: the product, the containers it travelled in and
    /// the materials it was made from, `journeyIdentifiers`) — for a quantity element, only its class; the
    /// `parentID` when it is one of them. Nothing else: not the other serials, the quantities, the places, the
    /// business transactions or the sensor data.
    public static func consumerDisclosures(
        payload: JSONValue, disclosures: [Disclosure], naming identifiers: some Sequence<String>
    ) -> [Disclosure] {
        let byDigest = Dictionary(disclosures.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
        let wanted = Set(identifiers.map(DigitalLink.canonical))
        let context = JSONLDContext(payload["@context"])
        func names(_ value: JSONValue) -> Bool {
            value.stringValue.map { wanted.contains(DigitalLink.canonical($0)) } ?? false
        }
        /// The disclosures of the digests directly in `value` (its `_sd`, or its `{"...": d}` elements).
        func children(_ value: JSONValue) -> [Disclosure] {
            var digests: [String] = []
            if let members = value.members {
                digests = members.first { $0.key == "_sd" }?.value.elements?.compactMap(\.stringValue) ?? []
            } else if let elements = value.elements {
                digests = elements.compactMap { $0["..."]?.stringValue }
            }
            return digests.compactMap { byDigest[$0] }
        }
        /// `disclosure` and every disclosure within its value.
        func whole(_ disclosure: Disclosure) -> [Disclosure] {
            [disclosure] + children(disclosure.value).flatMap(whole)
        }
        var out: [Disclosure] = []
        for member in children(payload) {
            guard let name = member.name else { continue }
            if consumerMembers.contains(name) || context.expandedValue(name) == publicReason {
                out += whole(member)
            } else if name == "parentID", names(member.value) {
                out.append(member)
            } else if identifierLists.contains(name) {
                let naming = children(member.value).filter { names($0.value) }
                if !naming.isEmpty { out += [member] + naming }
            } else if quantityLists.contains(name) {
                var shown: [Disclosure] = []
                for element in children(member.value) {
                    let classes = children(element.value).filter { $0.name == "epcClass" && names($0.value) }
                    if !classes.isEmpty { shown += [element] + classes }
                }
                if !shown.isEmpty { out += [member] + shown }
            }
        }
        return out
    }

    /// The identifiers a journey follows, canonical: the product's, and each container's and material's. A step's
    /// consumer disclosures name these and no other, so that the journey can be followed again from them alone.
    public static func journeyIdentifiers(of journey: Journey) -> Set<String> {
        Set([journey.identifier] + journey.steps.compactMap { $0.via.identifier.map(DigitalLink.canonical) })
    }
}
