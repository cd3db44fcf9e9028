import EPCIS
import Statements
/// A product's journey: the recorded events that concern it, in time order, each with who recorded it, in
/// which stage of the chain, and how it is linked to the product (`Specs/11-trace.md`).
public struct Journey: Sendable {
    /// The stages of a supply chain, in order.
    public enum Stage: String, Sendable, CaseIterable, Comparable {
        case origin, manufacturer, channel, brand, consumer

        public static func < (a: Stage, b: Stage) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }

        /// The stage of an event recorded by a participant with `roles`: a retail sale reaches the consumer;
        /// otherwise the recorder's role decides (a brand that also manufactures is the manufacturer when it
        /// commissions or transforms, the brand otherwise).
        public static func of(_ event: EPCISEvent, roles: [Participant.Role]) -> Stage {
            if event.bizStepTerm == "retail_selling" || event.dispositionTerm == "retail_sold" { return .consumer }
            let roles = Set(roles)
            let making = event.kind == .transformation || event.bizStepTerm == "commissioning"
            if roles.contains(.origin) { return .origin }
            if !roles.isDisjoint(with: [.manufacturer, .processor]) && (making || !roles.contains(.brand)) {
                return .manufacturer
            }
            if roles.contains(.brand) { return .brand }
            if !roles.isDisjoint(with: [.channel, .retailer, .marketplace]) { return .channel }
            return roles.contains(.certifier) ? .manufacturer : .channel
        }
    }

    /// One event of the journey.
    public struct Step: Sendable {
        public let seq: Int64
        public let event: EPCISEvent
        private let knownHash: String?
        /// The event's CBV 2.0 hash (computed when first asked for, unless given).
        public var hash: String { knownHash ?? event.hash() }
        /// Who signed it (nil for a key the registry does not know).
        public let participant: Participant?
        public let stage: Stage
        /// How the event concerns the product: itself, a container it travelled in, or a material it was made from.
        public let via: Link
        /// Whether the step's record is a sealed event (`Specs/23-sealed-events.md`), public with only its digests.
        public let sealed: Bool
        /// How many of a sealed step's fields were erased (23 §7): `event` is what remains.
        public let erased: Int

        public init(
            seq: Int64, event: EPCISEvent, hash: String? = nil, participant: Participant?, stage: Stage, via: Link,
            sealed: Bool = false, erased: Int = 0
        ) {
            self.sealed = sealed
            self.erased = erased
            self.seq = seq
            self.event = event
            self.knownHash = hash
            self.participant = participant
            self.stage = stage
            self.via = via
        }
    }

    /// Why an identifier is part of the journey.
    public enum Link: Sendable, Hashable {
        /// The product itself.
        case product
        /// A container (carton, pallet) the product travelled in; `within` is the link of what it contained.
        case container(String, within: String)
        /// A material the product (or one of its materials) was made from, by the transformation at `record`.
        case material(String, record: Int64)

        /// The identifier the events were found under.
        public var identifier: String? {
            switch self {
            case .product: nil
            case .container(let id, _), .material(let id, _): id
            }
        }
    }

    /// The code as given and its canonical form.
    public let code: String
    public let identifier: String
    /// The steps in time order (then record order).
    public let steps: [Step]

    /// The journey of `steps`, in time order. A certifier's inspection belongs to the stage it certifies: the
    /// stage of the step before it.
    public init(code: String, identifier: String, steps: [Step]) {
        self.code = code
        self.identifier = identifier
        var ordered = steps.sorted { ($0.event.eventTime.micros, $0.seq) < ($1.event.eventTime.micros, $1.seq) }
        for i in ordered.indices where ordered[i].participant.map({ Set($0.profile.roles) == [.certifier] }) == true {
            let s = ordered[i]
            ordered[i] = Step(
                seq: s.seq, event: s.event, hash: s.hash, participant: s.participant,
                stage: i > 0 ? ordered[i - 1].stage : .origin, via: s.via, sealed: s.sealed, erased: s.erased)
        }
        self.steps = ordered
    }

    /// Whether any step sets the `recalled` disposition (persistently or not) and no later step unsets it.
    public var isRecalled: Bool {
        var recalled = false
        for step in steps {
            let recall = "https://ref.gs1.org/cbv/Disp-recalled"
            if step.event.persistentDispositionSet.contains(recall) || step.event.disposition == recall {
                recalled = true
            }
            if step.event.persistentDispositionUnset.contains(recall) { recalled = false }
        }
        return recalled
    }
}
