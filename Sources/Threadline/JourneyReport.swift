import EPCIS
import GS1Identifiers
import LedgerRules

/// The journey as `trace --json` prints it (`Specs/11-trace.md` §2).
public struct JourneyJSON: Codable, Sendable {
    public struct Step: Codable, Sendable {
        public let seq: Int64
        public let hash: String
        public let stage: String
        public let eventType: String
        public let action: String?
        public let bizStep: String?
        public let disposition: String?
        public let eventTime: String
        public let eventTimeZoneOffset: String
        public let participant: String?
        public let participantName: String?
        public let roles: [String]
        public let readPoint: String?
        public let bizLocation: String?
        public let what: [String]
        public let certifications: [String]
        public let via: String
        /// How many of a sealed step's fields were erased (absent when none).
        public let erased: Int?
    }
    public let code: String
    public let identifier: String
    public let recalled: Bool
    public let steps: [Step]

    /// The journey as JSON; `consumerView` says of each step only what ties it to the product
    /// (`ReadPolicy.consumerTerms`), as the consumer page does — and of a sealed step, only what its consumer
    /// disclosures do: no place, and no event hash (which, of withheld fields, would let them be guessed).
    public init(_ journey: Journey, consumerView: Bool = false) {
        code = journey.code
        identifier = journey.identifier
        recalled = journey.isRecalled
        steps = journey.steps.map { step in
            let e = step.event
            let withheld = consumerView && step.sealed
            return Step(
                seq: step.seq, hash: withheld ? "" : step.hash, stage: step.stage.rawValue, eventType: e.kind.rawValue,
                action: e.action?.rawValue, bizStep: e.bizStep, disposition: e.disposition,
                eventTime: Timestamp.format(millis: e.eventTime.millis), eventTimeZoneOffset: e.eventTimeZoneOffset,
                participant: step.participant?.id, participantName: step.participant?.profile.name,
                roles: step.participant?.profile.roles.map(\.rawValue) ?? [], readPoint: withheld ? nil : e.readPoint,
                bizLocation: withheld ? nil : e.bizLocation,
                what: consumerView ? ReadPolicy.consumerTerms(of: step, in: journey) : JourneyWords.what(e),
                certifications: e.certificationInfo,
                via: JourneyWords.via(step.via), erased: step.erased > 0 ? step.erased : nil)
        }
    }
}

/// A journey's events in words, shared by `trace`, the demo and the consumer page (`Specs/11-trace.md` §2).
public enum JourneyWords {
    /// Digital Links shortened to what a person reads: `lot X`, `serial X`, `unit SSCC`.
    public static func shortened(_ text: String) -> String {
        var out = text
        for (marker, label) in [("/10/", "lot "), ("/21/", "serial "), ("/00/", "unit ")] {
            while let range = out.range(of: "https://id.gs1.org/") {
                let rest = out[range.upperBound...]
                let end = rest.firstIndex(where: { $0 == " " || $0 == "," || $0 == ";" }) ?? out.endIndex
                let uri = String(out[range.lowerBound..<end])
                guard let mark = uri.range(of: marker) else { break }
                out.replaceSubrange(range.lowerBound..<end, with: label + uri[mark.upperBound...])
            }
        }
        return out
    }

    /// The event time in its own zone: `2026-07-01 08:00:00 +05:30`; in UTC when the zone would take it outside
    /// years 0000–9999.
    public static func localTime(_ event: EPCISEvent) -> String {
        let offset = Int64(Timestamp.parseOffset(event.eventTimeZoneOffset) ?? 0)
        let shifted = event.eventTime.millis + offset * 60_000
        let inZone = Timestamp.millisRange.contains(shifted)
        let local = Timestamp.format(millis: inZone ? shifted : event.eventTime.millis)
        return local.prefix(10) + " " + local.dropFirst(11).prefix(8) + " " + (inZone ? event.eventTimeZoneOffset : "Z")
    }

    /// What the event is about; `compact` shortens long lists to their first identifier and a count.
    public static func what(_ e: EPCISEvent, compact: Bool = false) -> [String] {
        func shorten(_ list: [String]) -> [String] {
            compact && list.count > 3 ? [list[0] + " and \(list.count - 1) more"] : list
        }
        func ids(_ list: [String]) -> String { shorten(list.map(DigitalLink.canonical)).joined(separator: ", ") }
        func quantities(_ list: [EPCISEvent.QuantityElement]) -> [String] {
            list.map { q in
                let amount =
                    q.quantity.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0) } ?? "some"
                return "\(amount)\(q.uom.map { " " + $0 } ?? "") of \(DigitalLink.canonical(q.epcClass))"
            }
        }
        var out: [String] = []
        switch e.kind {
        case .aggregation, .association:
            let children = shorten(e.childEPCs.map(DigitalLink.canonical)) + quantities(e.childQuantityList)
            let verb = e.action == .delete ? "taken out of" : e.action == .add ? "put into" : "in"
            out.append(
                "\(children.isEmpty ? "everything" : children.joined(separator: ", ")) \(verb) \(e.parentID.map(DigitalLink.canonical) ?? "?")"
            )
        case .transformation:
            let inputs = shorten(e.inputEPCList.map(DigitalLink.canonical)) + quantities(e.inputQuantityList)
            let outputs = shorten(e.outputEPCList.map(DigitalLink.canonical)) + quantities(e.outputQuantityList)
            out.append("from " + inputs.joined(separator: ", "))
            out.append("made " + outputs.joined(separator: ", "))
        default:
            if !e.epcList.isEmpty { out.append(ids(e.epcList)) }
            out += quantities(e.quantityList)
        }
        return out
    }

    public static func via(_ link: Journey.Link) -> String {
        switch link {
        case .product: "the product itself"
        case .container(let id, let within): "\(id)\(carried)\(within)"
        case .material(let id, let record): "\(id)\(material)\(record)"
        }
    }

    private static let carried = ", which carried "
    private static let material = ", a material of the transformation in record "

    /// The link `via` describes (its inverse), or nil for words `via` does not make.
    public static func link(parsing text: String) -> Journey.Link? {
        if text == via(.product) { return .product }
        if let range = text.range(of: material), let record = Int64(text[range.upperBound...]) {
            return .material(String(text[..<range.lowerBound]), record: record)
        }
        if let range = text.range(of: carried) {
            return .container(String(text[..<range.lowerBound]), within: String(text[range.upperBound...]))
        }
        return nil
    }

}
