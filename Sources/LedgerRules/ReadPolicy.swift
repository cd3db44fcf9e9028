import EPCIS
import GS1Identifiers
import Participants
import Statements

/// Who is reading (`Specs/21-read-policy.md`).
public enum Reader: Sendable, Hashable {
    /// An unsigned request: what someone holding a product may see.
    case anyone
    /// A registered participant, proved by a request signature with one of its current keys.
    case participant(String)
    /// The operator, on the database with the local CLI.
    case `operator`
}

/// Need-to-know reads, decided in one place (`Specs/21-read-policy.md`): which records a reader may see, which
/// steps of a journey, and who may check listings. Pure: the registry is the one the reader is judged against.
public struct ReadPolicy: Sendable {
    public let registry: Registry
    /// A deployment that publishes everything (`serve --public-reads`): every reader sees every record.
    public let publicReads: Bool

    public init(registry: Registry, publicReads: Bool = false) {
        self.registry = registry
        self.publicReads = publicReads
    }

    /// The registered, unrevoked participant a reader is, if any.
    func participant(_ reader: Reader) -> Participant? {
        guard case .participant(let id) = reader, let p = registry.participants[id], p.revokedAt == nil else {
            return nil
        }
        return p
    }

    /// Whether the reader sees every record: the operator, an auditor, or anyone on a public deployment.
    public func seesEverything(_ reader: Reader) -> Bool {
        publicReads || reader == .operator || participant(reader)?.has(.auditor) == true
    }

    /// Whether the reader may check listings: channels, retailers, marketplaces and brands (and whoever sees
    /// everything).
    public func mayCheckListings(_ reader: Reader) -> Bool {
        if seesEverything(reader) { return true }
        guard let p = participant(reader) else { return false }
        return [.channel, .retailer, .marketplace, .brand].contains { p.has($0) }
    }

    /// Whether the reader may see a record signed by `signers` holding `event` (nil for any other statement):
    /// one it signed; an event that names it as source, destination, read point or business location; or, for a
    /// brand, an event about a product under its company prefixes.
    public func sees(signers: [String], event: EPCISEvent?, reader: Reader) -> Bool {
        if seesEverything(reader) { return true }
        guard let p = participant(reader) else { return false }
        if signers.contains(where: { key in p.currentKeys.contains { $0.vkey == key } }) { return true }
        guard let event else { return false }
        return names(p, event) || (p.has(.brand) && isAbout(event, prefixes: p.profile.companyPrefixes))
    }

    /// Whether anyone may see the record holding `envelope`: a sealed event, which holds only digests
    /// (`Specs/23-sealed-events.md` §4), and a product statement, which its brand publishes for shoppers
    /// (`Specs/24-products.md` §4).
    public static func isPublic(_ envelope: Envelope) -> Bool {
        envelope.payloadType == SealedEvent.payloadType || envelope.payloadType == ProductData.payloadType
    }

    /// Whether the reader may see the record holding `envelope` (an event statement, or any other). A sealed
    /// event's record is public; which of its disclosures a reader gets is decided field by field.
    public func sees(_ envelope: Envelope, reader: Reader) -> Bool {
        if seesEverything(reader) || ReadPolicy.isPublic(envelope) { return true }
        let event =
            envelope.payloadType == Statement.eventPayloadType ? try? Statement.event(payload: envelope.payload) : nil
        return sees(signers: envelope.signatures.map(\.keyid), event: event, reader: reader)
    }

    /// Whether an identifier the event is about (an instance, a class or lot, a container's content) has a GTIN
    /// under one of `prefixes`.
    func isAbout(_ event: EPCISEvent, prefixes: [String]) -> Bool {
        let quantities =
            event.quantityList + event.childQuantityList + event.inputQuantityList
            + event.outputQuantityList
        let identifiers =
            event.epcList + event.childEPCs + event.inputEPCList + event.outputEPCList
            + [event.parentID].compactMap { $0 }
            + quantities.map(\.epcClass)
        return identifiers.contains { id in
            guard let gtin = DigitalLink.gtin(inCanonical: DigitalLink.canonical(id)) else { return false }
            return prefixes.contains { gtin.dropFirst().hasPrefix($0) }
        }
    }

    /// Whether `event` names the participant: a place or party among its locations or under its company prefixes.
    func names(_ p: Participant, _ event: EPCISEvent) -> Bool {
        let places =
            [event.readPoint, event.bizLocation].compactMap { $0 }
            + (event.sourceList + event.destinationList).map(\.value)
        return places.contains { IntegrityRules.participant(for: $0, in: registry)?.id == p.id }
    }

    /// The steps of `journey` the reader may see. Whoever sees everything, and the brand owning the product's
    /// GTIN, sees them all; anyone else sees the steps it took part in and, for each, every step before it (the
    /// upstream of what it held), but not what others did after.
    public func visibleSteps(of journey: Journey, reader: Reader) -> [Journey.Step] {
        if seesEverything(reader) || ownsBrand(of: journey, reader) { return journey.steps }
        guard let p = participant(reader) else { return [] }
        let own = journey.steps.filter { step in step.participant?.id == p.id || names(p, step.event) }
        guard let last = own.map({ $0.event.eventTime.micros }).max() else { return [] }
        let mine = Set(own.map(\.seq))
        return journey.steps.filter { $0.event.eventTime.micros <= last || mine.contains($0.seq) }
    }

    /// `journey` with only the steps the reader may see (`visibleSteps`).
    public func visibleJourney(_ journey: Journey, reader: Reader) -> Journey {
        if seesEverything(reader) { return journey }
        return Journey(
            code: journey.code, identifier: journey.identifier, steps: visibleSteps(of: journey, reader: reader))
    }

    /// Whether the reader is a brand owning the company prefix of the journey's GTIN.
    func ownsBrand(of journey: Journey, _ reader: Reader) -> Bool {
        guard let p = participant(reader), p.has(.brand), let gtin = DigitalLink.gtin(inCanonical: journey.identifier)
        else { return false }
        return p.companyPrefix(ofGTIN: gtin) != nil
    }
}

extension ReadPolicy {
    /// The read routes, as `Specs/21-read-policy.md` lists them.
    public enum Route: String, Sendable, CaseIterable {
        case checkpoint, hashTiles, consistencyProof, witness, resolverLinkset, consumerPage, productData
        case record, inclusionProof, events, trace, bundle, checkListing, entryTiles, registry
    }

    /// What a reader gets from a route.
    public enum Access: String, Sendable {
        /// The whole answer.
        case all
        /// Only the records (or steps) `sees` and `visibleSteps` allow, and the sealed ones (with only the
        /// disclosures the reader may see); a record outside them is 404 (401 to an unsigned request).
        case filtered
        /// Nothing: `401` unsigned, `403` signed.
        case refused
    }

    /// What `reader` gets from `route`.
    public func access(_ route: Route, _ reader: Reader) -> Access {
        switch route {
        case .checkpoint, .hashTiles, .consistencyProof, .witness, .resolverLinkset, .consumerPage, .productData:
            return .all
        case .entryTiles, .record, .inclusionProof, .bundle:
            // Sealed records are anyone's; the rest are the participants' that `sees` allows.
            return seesEverything(reader) ? .all : .filtered
        case .checkListing: return mayCheckListings(reader) ? .all : .refused
        case .registry: return seesEverything(reader) || participant(reader) != nil ? .all : .refused
        case .events, .trace:
            if seesEverything(reader) { return .all }
            return participant(reader) == nil ? .refused : .filtered
        }
    }
}

extension ReadPolicy {
    /// What the consumer view (the page, and the resolver's journey for anyone) says a step was about: only the
    /// identifier that ties it to the product — the product itself, the container it travelled in, or the
    /// material it was made from — never the other serials of the event, quantities, or business transactions.
    public static func consumerTerms(of step: Journey.Step, in journey: Journey) -> [String] {
        switch step.via {
        case .product: [journey.identifier]
        case .container(let id, _), .material(let id, _): [id]
        }
    }
}
