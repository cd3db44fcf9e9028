import Participants
/// What the ledger says about one product: its journey, the registry it was read against, and the integrity
/// rules' findings over that journey (`Specs/11-trace.md`, `Specs/12-integrity.md`). `threadline check CODE`, the
/// consumer page, bundles and listing checks all start from one; online (`Ledger.assess`) and offline (a bundle's
/// verification) it is computed the same way. Pure.
public struct Assessment: Sendable {
    public let journey: Journey
    public let registry: Registry
    /// The integrity rules' findings over the journey's steps.
    public let integrity: [IntegrityRules.Finding]

    /// Runs the integrity rules over `journey`.
    public init(journey: Journey, registry: Registry) {
        self.journey = journey
        self.registry = registry
        self.integrity = IntegrityRules.check(
            journey.steps.map { IntegrityRules.Step(seq: $0.seq, event: $0.event, recorder: $0.participant) },
            registry: registry)
    }

    /// May `seller` sell this product as `claims` (KEY=VALUE pairs) describe it? `Specs/13-listings.md`.
    public func listing(seller: String, claims: [(key: String, value: String)] = []) -> ListingCheck.Result {
        ListingCheck.check(journey: journey, seller: seller, claims: claims, integrity: integrity, registry: registry)
    }
}
