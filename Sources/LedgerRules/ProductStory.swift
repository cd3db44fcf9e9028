import EPCIS
import GS1Identifiers
import Participants
import Statements

/// What the consumer page and the passport say of one product, derived from its journey's signed events and the
/// registry — not from the brand's say-so (`Specs/24-products.md` §5): one status that never contradicts itself,
/// who made it and where, where each of its materials was made, and each certification with who certified it.
/// Language-neutral: the page puts it in the reader's words. Pure.
public struct ProductStory: Sendable {
    /// The one thing a shopper is told first.
    public enum Status: Sendable {
        /// Made and recorded in the ledger, and now with a seller the brand authorised.
        case inStock(seller: Participant, since: Timestamp.DateTime)
        /// Sold to a consumer.
        case sold(on: Timestamp.DateTime, by: Participant?)
        /// Made and recorded, not yet with a seller: `holder` recorded it last.
        case inSupplyChain(holder: Participant?)
        /// Recalled by `by`, for the public reason it gave if any (`ReadPolicy.publicReason`): not to be used.
        case recalled(by: Participant?, on: Timestamp.DateTime, reason: String?)
        /// Something is wrong: each reason.
        case suspect([Suspicion])
        /// Not known as a product of the ledger: no event, or none that made it.
        case unknown(eventsButNotMade: Bool)
    }

    /// Why a product is suspect.
    public enum Suspicion: Sendable, Equatable {
        /// Its code was seen in two places at once: one of them is a copy (the records).
        case copy(records: [Int64])
        /// A seller the brand has not authorised held it.
        case unauthorisedSeller(Participant)
        /// Reported stolen.
        case stolen
        /// Recorded as destroyed: a product bearing the code now is not the one made.
        case destroyed
        /// Its hidden code was entered correctly more than once (`Specs/24-products.md` §7): the first time
        /// (milliseconds), and how many times.
        case verifiedAgain(firstMillis: Int64, times: Int)

        public static func == (a: Suspicion, b: Suspicion) -> Bool {
            switch (a, b) {
            case (.copy(let x), .copy(let y)): x == y
            case (.unauthorisedSeller(let x), .unauthorisedSeller(let y)): x.id == y.id
            case (.stolen, .stolen), (.destroyed, .destroyed): true
            case (.verifiedAgain(let x, let m), .verifiedAgain(let y, let n)): x == y && m == n
            default: false
            }
        }
    }

    /// A step that made something: the product itself, or one of its materials.
    public struct Making: Sendable {
        public let seq: Int64
        public let time: Timestamp.DateTime
        /// Who recorded it.
        public let participant: Participant?
        /// Where, as the registry names the place (`ProductStory.place(of:in:)`).
        public let place: Participant.Place?
        /// What it made that the journey follows: the product, or a material of it (canonical identifiers).
        public let made: [String]
        public let stage: Journey.Stage
    }

    /// A certificate named by the journey's steps.
    public struct Certification: Sendable {
        /// As the events name it (a URI).
        public let certificate: String
        /// The certifier that recorded it itself, if one did (a participant with the role `certifier`).
        public let certifier: Participant?
        /// The participants that named it on their own steps.
        public let claimedBy: [Participant]
    }

    public let status: Status
    /// The owner of the product's GTIN's company prefix.
    public let brand: Participant?
    /// The step that made the product itself (the last, when there are several).
    public let madeBy: Making?
    /// The steps that made its materials, in time order.
    public let materials: [Making]
    public let certifications: [Certification]
    /// The identifiers its journey follows, canonical (`ReadPolicy.journeyIdentifiers`).
    public let identifiers: Set<String>
    /// When its hidden code was first entered correctly (milliseconds), if it was (24 §7).
    public let firstVerified: Int64?
    /// The channels its brand lets sell it at the story's time (now, unless told), in the order authorised:
    /// registered, not revoked, their authorisation in force and its window open.
    public let channels: [Participant]

    /// The story of `assessment`'s product, told at `micros` (microseconds since the epoch; default now).
    public init(_ assessment: Assessment, at micros: Int64 = Timestamp.nowMicros) {
        firstVerified = assessment.verifications.first?.millis
        let (journey, registry) = (assessment.journey, assessment.registry)
        let gtin = DigitalLink.gtin(inCanonical: journey.identifier)
        let brand = gtin.flatMap { gtin in
            registry.participants.values.first { $0.companyPrefix(ofGTIN: gtin) != nil }
        }
        self.brand = brand
        var channels: [Participant] = []
        if let brand {
            let prefix = gtin.flatMap(brand.companyPrefix(ofGTIN:))
            for authorization in registry.authorizations(
                of: brand.id, companyPrefix: prefix, at: registry.size, time: micros)
            {
                guard let channel = registry.participants[authorization.channel], channel.revokedAt == nil,
                    !channels.contains(where: { $0.id == channel.id })
                else { continue }
                channels.append(channel)
            }
        }
        self.channels = channels
        var makings: [(Making, Journey.Link)] = []
        let identifiers = ReadPolicy.journeyIdentifiers(of: journey)
        self.identifiers = identifiers
        for step in journey.steps {
            let event = step.event
            guard event.kind == .transformation || event.bizStepTerm == "commissioning" else { continue }
            let outputs =
                event.kind == .transformation
                ? event.outputEPCList + event.outputQuantityList.map(\.epcClass)
                : event.epcList + event.quantityList.map(\.epcClass)
            let made = outputs.map(DigitalLink.canonical).filter(identifiers.contains)
            guard !made.isEmpty else { continue }
            makings.append(
                (
                    Making(
                        seq: step.seq, time: event.eventTime, participant: step.participant,
                        place: Self.place(of: step, in: registry), made: made, stage: step.stage),
                    step.via
                ))
        }
        madeBy = makings.last { $0.1 == .product }?.0
        materials = makings.filter { $0.1 != .product }.map(\.0)
        certifications = Self.certifications(journey)
        status = Self.status(assessment, brand: brand, made: madeBy != nil)
    }

    /// Where `step` happened, as the registry names it: the event's own place (business location, else read point)
    /// when a consumer is shown it — not for a sealed step, whose place is not among a consumer's disclosures
    /// (23 §4) — and it is a registered location; else the recorder's place, when it has one and records where it
    /// works (not a certifier, who records at the sites it certifies).
    public static func place(of step: Journey.Step, in registry: Registry) -> Participant.Place? {
        let shown = step.sealed ? [] : [step.event.bizLocation, step.event.readPoint]
        let glns = shown.compactMap { place -> String? in
            guard let place else { return nil }
            let canonical = DigitalLink.canonical(place)
            let prefix = "https://id.gs1.org/414/"
            return canonical.hasPrefix(prefix) ? String(canonical.dropFirst(prefix.count).prefix(13)) : nil
        }
        for gln in glns {
            if let place = step.participant?.profile.place(gln: gln) { return place }
            for participant in registry.participants.values {
                if let place = participant.profile.place(gln: gln) { return place }
            }
        }
        guard let participant = step.participant, !participant.has(.certifier), participant.profile.places.count == 1
        else { return nil }
        return participant.profile.places[0]
    }

    private static func certifications(_ journey: Journey) -> [Certification] {
        var order: [String] = []
        var certifiers: [String: Participant] = [:]
        var claims: [String: [Participant]] = [:]
        for step in journey.steps {
            for certificate in step.event.certificationInfo {
                if !order.contains(certificate) { order.append(certificate) }
                guard let participant = step.participant else { continue }
                if participant.has(.certifier) {
                    certifiers[certificate] = certifiers[certificate] ?? participant
                } else if !(claims[certificate] ?? []).contains(where: { $0.id == participant.id }) {
                    claims[certificate, default: []].append(participant)
                }
            }
        }
        return order.map {
            Certification(certificate: $0, certifier: certifiers[$0], claimedBy: claims[$0] ?? [])
        }
    }

    private static func status(_ assessment: Assessment, brand: Participant?, made: Bool) -> Status {
        let (journey, registry) = (assessment.journey, assessment.registry)
        guard !journey.steps.isEmpty else { return .unknown(eventsButNotMade: false) }
        if journey.isRecalled {
            let recall = journey.steps.last { step in
                step.event.dispositionTerm == "recalled"
                    || step.event.persistentDispositionSet.contains("https://ref.gs1.org/cbv/Disp-recalled")
            }
            let reason = recall.flatMap { step in
                step.event.extensions.first { step.event.context.expandedValue($0.key) == ReadPolicy.publicReason }?
                    .value.stringValue
            }
            return .recalled(
                by: recall?.participant, on: recall?.event.eventTime ?? journey.steps[0].event.eventTime, reason: reason
            )
        }
        var suspicions: [Suspicion] = []
        for finding in assessment.integrity where finding.identifier == journey.identifier {
            switch finding.code {
            case .cloneSuspected: suspicions.append(.copy(records: finding.records))
            case .stolen: suspicions.append(.stolen)
            case .destroyed: suspicions.append(.destroyed)
            case .verifiedMoreThanOnce:
                if let first = assessment.verifications.first {
                    suspicions.append(.verifiedAgain(firstMillis: first.millis, times: assessment.verifications.count))
                }
            default: break
            }
        }
        // The product itself (or its container) held by a seller its brand never authorised.
        let own = journey.steps.filter {
            if case .material = $0.via { return false }
            return true
        }
        let sellers = own.compactMap { step -> (Journey.Step, Participant)? in
            guard let participant = step.participant, participant.id != brand?.id,
                !participant.profile.roles.filter({ [.channel, .retailer, .marketplace].contains($0) }).isEmpty
            else { return nil }
            return (step, participant)
        }
        for (step, seller) in sellers {
            let prefix = DigitalLink.gtin(inCanonical: journey.identifier).flatMap { brand?.companyPrefix(ofGTIN: $0) }
            // Judged when it handled the product: in force at its record, its window open at the event's time.
            guard let brand,
                !registry.isAuthorized(
                    channel: seller.id, brand: brand.id, companyPrefix: prefix, at: step.seq,
                    time: step.event.eventTime.micros)
            else { continue }
            if !suspicions.contains(.unauthorisedSeller(seller)) { suspicions.append(.unauthorisedSeller(seller)) }
        }
        if !suspicions.isEmpty { return .suspect(suspicions) }
        guard made else { return .unknown(eventsButNotMade: true) }
        if let sale = own.last(where: {
            $0.event.dispositionTerm == "retail_sold" || $0.event.bizStepTerm == "retail_selling"
        }) {
            return .sold(on: sale.event.eventTime, by: sale.participant)
        }
        if let (step, seller) = sellers.last { return .inStock(seller: seller, since: step.event.eventTime) }
        return .inSupplyChain(holder: own.last?.participant)
    }
}
