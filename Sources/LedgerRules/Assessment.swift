import EPCIS
import Participants
/// What the ledger says about one product: its journey, the registry it was read against, and the integrity
/// rules' findings over that journey (`Specs/11-trace.md`, `Specs/12-integrity.md`). `threadline check CODE`, the
/// consumer page, bundles and listing checks all start from one; online (`Ledger.assess`) and offline (a bundle's
/// verification) it is computed the same way. Pure.
public struct Assessment: Sendable {
    public let journey: Journey
    public let registry: Registry
    /// The integrity rules' findings over the journey's steps, and `VERIFIED_MORE_THAN_ONCE` when the product's
    /// hidden code was entered correctly more than once.
    public let integrity: [IntegrityRules.Finding]
    /// The records of the correct entries of the product's hidden code, and when (milliseconds), oldest first
    /// (`Specs/24-products.md` §7).
    public let verifications: [(seq: Int64, millis: Int64)]

    /// Runs the integrity rules over `journey`.
    public init(journey: Journey, registry: Registry, verifications: [(seq: Int64, millis: Int64)] = []) {
        self.journey = journey
        self.registry = registry
        self.verifications = verifications
        var integrity = IntegrityRules.check(
            journey.steps.map { IntegrityRules.Step(seq: $0.seq, event: $0.event, recorder: $0.participant) },
            registry: registry)
        if let finding = IntegrityRules.verifiedMoreThanOnce(journey.identifier, verifications) {
            integrity.append(finding)
        }
        self.integrity = integrity
    }

    /// May `seller` sell this product as `claims` (KEY=VALUE pairs) describe it, at `micros` (microseconds since
    /// the epoch; default now)? `Specs/13-listings.md`.
    public func listing(
        seller: String, claims: [(key: String, value: String)] = [], at micros: Int64 = Timestamp.nowMicros
    ) -> ListingCheck.Result {
        ListingCheck.check(
            journey: journey, seller: seller, claims: claims, integrity: integrity, registry: registry, at: micros)
    }
}
