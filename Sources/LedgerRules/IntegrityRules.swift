import EPCIS
import Foundation
import GS1Identifiers
import Participants
import Statements

/// The integrity rules over recorded events (`Specs/12-integrity.md`): custody continuity, stage order, mass
/// balance, double commissioning, clones, alarming dispositions and unsupported certification claims. Pure:
/// it reads events in record order, with the participant who recorded each, and returns findings.
public enum IntegrityRules {
    /// What a rule found.
    public enum Code: String, Sendable, Codable, CaseIterable {
        case receiptWithoutShipment = "RECEIPT_WITHOUT_SHIPMENT"
        case shippedNotHeld = "SHIPPED_NOT_HELD"
        case saleBeforeCommissioning = "SALE_BEFORE_COMMISSIONING"
        case eventAfterEnd = "EVENT_AFTER_END"
        case massBalanceExceeded = "MASS_BALANCE_EXCEEDED"
        case commissionedTwice = "COMMISSIONED_TWICE"
        case cloneSuspected = "CLONE_SUSPECTED"
        case recalled = "RECALLED"
        case stolen = "STOLEN"
        case destroyed = "DESTROYED"
        case certificationUnsupported = "CERTIFICATION_UNSUPPORTED"
        /// The serial's hidden code was entered correctly more than once (`Specs/24-products.md` §7).
        case verifiedMoreThanOnce = "VERIFIED_MORE_THAN_ONCE"
    }

    /// One finding: the rule, the identifier concerned, the records that show it, and why.
    public struct Finding: Sendable, Hashable, Codable, CustomStringConvertible {
        public let code: Code
        public let identifier: String?
        public let records: [Int64]
        public let message: String

        public var description: String {
            "\(code.rawValue)  \(identifier ?? "-")  records \(records.map(String.init).joined(separator: ", ")): \(message)"
        }
    }

    /// An event as the rules see it.
    public struct Step: Sendable {
        public let seq: Int64
        public let event: EPCISEvent
        /// Who recorded it, if the registry knows the key.
        public let recorder: Participant?

        public init(seq: Int64, event: EPCISEvent, recorder: Participant?) {
            self.seq = seq
            self.event = event
            self.recorder = recorder
        }
    }

    /// The fastest a product travels between two geo: places: 1,000 km/h (an airliner).
    public static let maximumSpeedKmh = 1000.0

    /// `VERIFIED_MORE_THAN_ONCE` for `identifier` when its hidden code's correct entries (records and times,
    /// oldest first) are more than one (`Specs/24-products.md` §7).
    public static func verifiedMoreThanOnce(
        _ identifier: String, _ verifications: [(seq: Int64, millis: Int64)]
    ) -> Finding? {
        guard verifications.count > 1, let first = verifications.first else { return nil }
        return Finding(
            code: .verifiedMoreThanOnce, identifier: identifier, records: verifications.map(\.seq),
            message: "the hidden code of \(identifier) was entered correctly \(verifications.count) times, first at "
                + "\(Timestamp.format(millis: first.millis)): one of these is a copied label")
    }

    /// Runs every rule over `steps` (any order; they are taken in event-time order, then record order).
    /// What in `event` stops the sale of what it names (`stoppedObjects`): a recall (its disposition, or a persistent
    /// one), a theft, a destruction (the disposition, or the step `destroying`). In that order; empty for most events.
    public static func saleStoppers(_ event: EPCISEvent) -> [Code] {
        let recall = "https://ref.gs1.org/cbv/Disp-recalled"
        var codes: [Code] = []
        if event.disposition == recall || event.persistentDispositionSet.contains(recall) { codes.append(.recalled) }
        if event.dispositionTerm == "stolen" { codes.append(.stolen) }
        if event.dispositionTerm == "destroyed" || event.bizStepTerm == "destroying" { codes.append(.destroyed) }
        return codes
    }

    /// The identifiers (canonical, sorted, once each) whose sale `saleStoppers` stops: the event's `epcList` and
    /// `quantityList` classes.
    public static func stoppedObjects(_ event: EPCISEvent) -> [String] {
        Array(Set((event.epcList + event.quantityList.map(\.epcClass)).map(DigitalLink.canonical))).sorted()
    }

    public static func check(_ steps: [Step], registry: Registry) -> [Finding] {
        var state = State(registry: registry)
        for step in steps.sorted(by: { ($0.event.eventTime.micros, $0.seq) < ($1.event.eventTime.micros, $1.seq) }) {
            state.apply(step)
        }
        state.finish(steps)
        return state.findings
    }

    /// The participant a party or place identifier names: the one with that location GLN, else the one owning
    /// the GLN's company prefix.
    public static func participant(for identifier: String, in registry: Registry) -> Participant? {
        let canonical = DigitalLink.canonical(identifier)
        guard
            let gln = ["https://id.gs1.org/417/", "https://id.gs1.org/414/"].lazy
                .compactMap({ canonical.hasPrefix($0) ? String(canonical.dropFirst($0.count).prefix(13)) : nil }).first
        else { return nil }
        let all = registry.participants.values
        return all.first { $0.profile.locations.contains(gln) }
            ?? all.filter { p in p.profile.companyPrefixes.contains { gln.hasPrefix($0) } }
            .max {
                ($0.profile.companyPrefixes.map(\.count).max() ?? 0)
                    < ($1.profile.companyPrefixes.map(\.count).max() ?? 0)
            }
    }

    struct State {
        let registry: Registry
        var findings: [Finding] = []
        /// Instance identifiers (serials, SSCCs): who holds them, where they were last seen, what ended them.
        var holder: [String: (participant: String, seq: Int64)] = [:]
        var inTransit: [String: (from: String?, to: String?, seq: Int64)] = [:]
        var commissioned: [String: Int64] = [:]
        var ended: [String: (what: String, seq: Int64)] = [:]
        var lastSeen: [String: (place: String, micros: Int64, seq: Int64)] = [:]
        var contents: [String: Set<String>] = [:]
        /// Lots and classes: quantities made and used, per unit.
        var produced: [String: (quantity: Double, seqs: [Int64])] = [:]
        var consumed: [String: (quantity: Double, seqs: [Int64])] = [:]
        var reported = Set<String>()

        init(registry: Registry) { self.registry = registry }

        mutating func note(_ code: Code, _ identifier: String?, _ records: [Int64], _ message: String) {
            let key = "\(code.rawValue)|\(identifier ?? "")|\(records.first ?? -1)"
            guard reported.insert(key).inserted else { return }
            findings.append(Finding(code: code, identifier: identifier, records: records, message: message))
        }

        /// An identifier and everything packed in it, recursively.
        func withContents(_ id: String) -> [String] {
            var out = [id]
            var i = 0
            while i < out.count {
                out += (contents[out[i]] ?? []).sorted().filter { !out.contains($0) }
                i += 1
            }
            return out
        }

        func party(_ references: [EPCISEvent.TypedReference]) -> String? {
            let owning =
                references.first { $0.type?.hasSuffix("SDT-owning_party") == true }
                ?? references.first { $0.type?.hasSuffix("SDT-possessing_party") == true }
                ?? references.first { $0.type?.hasSuffix("SDT-location") == true }
            return owning.flatMap { IntegrityRules.participant(for: $0.value, in: registry)?.id }
        }

        /// Applies each rule to the next step of the journey, in the order the rules read best.
        mutating func apply(_ step: Step) {
            checkAfterEnd(step)
            trackCommissioning(step)
            trackEnds(step)
            trackPacking(step.event)
            if let who = step.recorder?.id {
                trackShipping(step, by: who)
                trackReceiving(step, by: who)
            }
            checkSpeed(step)
            checkDispositions(step)
            trackMass(step)
        }

        private static func canonical(_ ids: [String]) -> [String] { ids.map(DigitalLink.canonical) }

        /// Ended products: nothing more may happen to them.
        private mutating func checkAfterEnd(_ step: Step) {
            let e = step.event
            let instances = Self.canonical(
                e.epcList + e.childEPCs + [e.parentID].compactMap { $0 } + e.inputEPCList + e.outputEPCList)
            for id in Array(Set(instances)).sorted() {
                if let end = ended[id] {
                    note(
                        .eventAfterEnd, id, [end.seq, step.seq],
                        "an event after the product was \(end.what) in record \(end.seq)")
                }
            }
        }

        /// Commissioning: ObjectEvent ADD commissioning, or a transformation's outputs.
        private mutating func trackCommissioning(_ step: Step) {
            let e = step.event
            var made: [String] = []
            if e.kind == .object, e.action == .add, e.bizStepTerm == "commissioning" {
                made = Self.canonical(e.epcList)
            }
            if e.kind == .transformation { made = Self.canonical(e.outputEPCList) }
            for id in made {
                if let earlier = commissioned[id] {
                    note(
                        .commissionedTwice, id, [earlier, step.seq],
                        "commissioned again; first commissioned in record \(earlier)")
                } else {
                    commissioned[id] = step.seq
                }
                if let who = step.recorder?.id { holder[id] = (who, step.seq) }
            }
        }

        /// Sales, decommissioning and destruction end a product.
        private mutating func trackEnds(_ step: Step) {
            let e = step.event
            let term = e.bizStepTerm
            if term == "retail_selling" || e.dispositionTerm == "retail_sold" {
                for id in Self.canonical(e.epcList) {
                    if commissioned[id] == nil {
                        note(.saleBeforeCommissioning, id, [step.seq], "sold before any record commissioned it")
                    }
                    ended[id] = ("sold", step.seq)
                }
            }
            if term == "decommissioning" || term == "destroying" || e.dispositionTerm == "destroyed" {
                for id in Self.canonical(e.epcList) {
                    ended[id] = (term == "decommissioning" ? "decommissioned" : "destroyed", step.seq)
                }
            }
        }

        /// Packing and unpacking.
        private mutating func trackPacking(_ e: EPCISEvent) {
            guard e.kind == .aggregation, let parent = e.parentID.map(DigitalLink.canonical) else { return }
            let children = Set(Self.canonical(e.childEPCs))
            switch e.action {
            case .add?: contents[parent, default: []].formUnion(children)
            case .delete?:
                if children.isEmpty { contents[parent] = nil } else { contents[parent]?.subtract(children) }
            default: break
            }
        }

        /// Custody: only the holder ships.
        private mutating func trackShipping(_ step: Step, by who: String) {
            guard step.event.bizStepTerm == "shipping" else { return }
            for top in Self.canonical(step.event.epcList) {
                for id in withContents(top) {
                    if let held = holder[id], held.participant != who {
                        note(
                            .shippedNotHeld, id, [held.seq, step.seq],
                            "shipped by '\(who)', but '\(held.participant)' holds it since record \(held.seq)")
                    }
                    inTransit[id] = (who, party(step.event.destinationList), step.seq)
                }
            }
        }

        /// Custody: a receipt follows a shipment to the receiver; a second holder is a second custody chain.
        private mutating func trackReceiving(_ step: Step, by who: String) {
            guard step.event.bizStepTerm == "receiving" else { return }
            for top in Self.canonical(step.event.epcList) {
                for id in withContents(top) {
                    if let transit = inTransit[id], transit.to == nil || transit.to == who {
                        inTransit[id] = nil
                    } else if let held = holder[id], held.participant != who {
                        note(
                            .cloneSuspected, id, [held.seq, step.seq],
                            "received by '\(who)' while '\(held.participant)' holds it (record \(held.seq)) and never"
                                + " shipped it there: two custody chains")
                    } else if holder[id] == nil || inTransit[id] != nil {
                        note(.receiptWithoutShipment, id, [step.seq], "received by '\(who)' with no shipment to it")
                    }
                    holder[id] = (who, step.seq)
                }
            }
        }

        /// Places too far apart for the time between.
        private mutating func checkSpeed(_ step: Step) {
            let e = step.event
            guard let place = e.readPoint ?? e.bizLocation, place.hasPrefix("geo:") else { return }
            for id in Array(Set(Self.canonical(e.epcList))).sorted() {
                if let last = lastSeen[id], let km = IntegrityRules.distanceKm(last.place, place) {
                    let hours = Double(e.eventTime.micros - last.micros) / 3.6e9
                    if km > 1, hours <= 0 || km / hours > IntegrityRules.maximumSpeedKmh {
                        note(
                            .cloneSuspected, id, [last.seq, step.seq],
                            "seen \(Int(km)) km apart \(String(format: "%.1f", max(hours, 0))) h apart: faster than"
                                + " \(Int(IntegrityRules.maximumSpeedKmh)) km/h")
                    }
                }
                lastSeen[id] = (place, e.eventTime.micros, step.seq)
            }
        }

        /// Dispositions that stop a sale.
        private mutating func checkDispositions(_ step: Step) {
            let stoppers = IntegrityRules.saleStoppers(step.event)
            guard !stoppers.isEmpty else { return }
            for id in IntegrityRules.stoppedObjects(step.event) {
                for code in stoppers {
                    switch code {
                    case .recalled:
                        note(.recalled, id, [step.seq], "recalled" + (step.recorder.map { " by '\($0.id)'" } ?? ""))
                    case .stolen: note(.stolen, id, [step.seq], "reported stolen")
                    default: note(.destroyed, id, [step.seq], "destroyed")
                    }
                }
            }
        }

        /// Mass balance: what each lot made and used; each transformation's outputs against its inputs.
        /// Only quantities with an amount have a key, so `q.quantity!` below is never nil.
        private mutating func trackMass(_ step: Step) {
            let e = step.event
            let seq = step.seq
            func key(_ q: EPCISEvent.QuantityElement) -> String? {
                q.quantity == nil ? nil : DigitalLink.canonical(q.epcClass) + "|" + (q.uom ?? "EA")
            }
            let making =
                e.kind == .transformation
                ? e.outputQuantityList : (e.action == .add && e.bizStepTerm == "commissioning" ? e.quantityList : [])
            for q in making {
                if let k = key(q) {
                    produced[k, default: (0, [])].quantity += q.quantity!; produced[k]!.seqs.append(seq)
                }
            }
            for q in e.inputQuantityList + (e.kind == .aggregation && e.action == .add ? e.childQuantityList : []) {
                if let k = key(q) {
                    consumed[k, default: (0, [])].quantity += q.quantity!; consumed[k]!.seqs.append(seq)
                }
            }
            if e.kind == .transformation { checkYield(e, seq) }
        }

        mutating func checkYield(_ e: EPCISEvent, _ seq: Int64) {
            var inputs: [String: Double] = [:]
            var outputs: [String: Double] = [:]
            for q in e.inputQuantityList where q.quantity != nil { inputs[q.uom ?? "EA", default: 0] += q.quantity! }
            for q in e.outputQuantityList where q.quantity != nil { outputs[q.uom ?? "EA", default: 0] += q.quantity! }
            let declared = e.ilmd.first { $0.key.hasSuffix(":yield") }?.value.doubleValue
            for (uom, out) in outputs {
                guard let input = inputs[uom] else { continue }
                let allowed = input * (declared ?? 1)
                if out > allowed * (1 + 1e-9) {
                    note(
                        .massBalanceExceeded, nil, [seq],
                        "the transformation makes \(Self.number(out)) \(uom) from \(Self.number(input)) \(uom)"
                            + (declared.map { " (declared yield \(Self.number($0)))" } ?? ""))
                }
            }
        }

        static func number(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }

        mutating func finish(_ steps: [Step]) {
            for (key, used) in consumed.sorted(by: { $0.key < $1.key }) {
                let made = produced[key]?.quantity ?? 0
                let parts = key.split(separator: "|")
                if made > 0, used.quantity > made * (1 + 1e-9) {
                    note(
                        .massBalanceExceeded, String(parts[0]), (produced[key]?.seqs ?? []) + used.seqs,
                        "\(Self.number(used.quantity)) \(parts[1]) used, but only \(Self.number(made)) \(parts[1]) made"
                    )
                }
            }
            // A certification claim stands when a registered certifier recorded the same certificate.
            var certified = Set<String>()
            for step in steps where step.recorder?.has(.certifier) == true {
                certified.formUnion(step.event.certificationInfo)
            }
            for step in steps.sorted(by: { $0.seq < $1.seq }) {
                for claim in step.event.certificationInfo where !certified.contains(claim) {
                    note(
                        .certificationUnsupported, claim, [step.seq],
                        "no registered certifier recorded the certificate this event claims")
                }
            }
        }
    }

    /// The great-circle distance between two `geo:lat,lon` URIs (RFC 5870), in km; nil if either is not one.
    static func distanceKm(_ a: String, _ b: String) -> Double? {
        func coordinates(_ uri: String) -> (Double, Double)? {
            let parts = uri.dropFirst(4).split(separator: ";")[0].split(separator: ",")
            guard parts.count >= 2, let lat = Double(parts[0]), let lon = Double(parts[1]) else { return nil }
            return (lat * .pi / 180, lon * .pi / 180)
        }
        guard let (lat1, lon1) = coordinates(a), let (lat2, lon2) = coordinates(b) else { return nil }
        let h = pow(sin((lat2 - lat1) / 2), 2) + cos(lat1) * cos(lat2) * pow(sin((lon2 - lon1) / 2), 2)
        return 2 * 6371 * asin(min(1, sqrt(h)))
    }
}
