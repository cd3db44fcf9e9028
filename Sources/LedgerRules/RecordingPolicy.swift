import EPCIS
import GS1Identifiers
import Participants
import Statements
import TransparencyLog

/// The rules an EPCIS event must meet to be recorded, beyond being valid EPCIS (`Specs/10-recording.md` §2).
public enum RecordingPolicy {
    /// Roles that make things: only they may commission a GTIN, and only under their own company prefixes.
    public static let producers: Set<Participant.Role> = [.origin, .manufacturer, .processor, .brand]
    /// Roles that sell to consumers.
    public static let sellers: Set<Participant.Role> = [.retailer, .marketplace, .channel, .brand]

    /// What an event asks of its signers, found from the event alone (so that it can be worked out on any core,
    /// before the registry as it stood at the record is known).
    public struct Demands: Sendable {
        /// The bare CBV business step, if the event has a CBV one.
        public let step: String?
        /// What the event brings into being: each identifier as written, and the GTIN of its canonical form.
        public let creates: [(identifier: String, gtin: String?)]

        /// The demands of `event`. (Borrowed: an initializer would otherwise take its own copy of the event.)
        public init(_ event: borrowing EPCISEvent) {
            step = event.bizStepTerm
            func objects(_ epcs: [String], _ quantities: [EPCISEvent.QuantityElement]) -> [String] {
                quantities.isEmpty ? epcs : epcs + quantities.map(\.epcClass)
            }
            let created: [String]
            switch event.kind {
            case .transformation: created = objects(event.outputEPCList, event.outputQuantityList)
            case .object where step == "commissioning" && event.action == .add:
                created = objects(event.epcList, event.quantityList)
            default: created = []
            }
            // The closure reads the forms, not `event`: one that captured the event would have it copied.
            let forms = event.canonicalForms
            creates = created.map { ($0, DigitalLink.gtin(inCanonical: forms[$0] ?? $0)) }
        }
    }

    /// Why `event`, signed by `signers`, may not be recorded at record `seq`, or nil.
    public static func refusal(
        for event: EPCISEvent, signers: [String], registry: Registry, at seq: Int64
    ) -> RuleError? {
        refusal(for: Demands(event), signers: signers, registry: registry, at: seq)
    }

    /// Why an event that makes `demands`, signed by `signers`, may not be recorded at record `seq`, or nil.
    public static func refusal(
        for demands: Demands, signers: [String], registry: Registry, at seq: Int64
    ) -> RuleError? {
        // The first signer's participant, and any others (an event is most often signed once: no array then).
        var first: Participant?
        var others: [Participant] = []
        for key in signers {
            switch registry.signer(key, at: seq) {
            case .valid(let id):
                // A key is valid only as the key of a registered participant.
                if first == nil {
                    first = registry.participants[id]!
                } else {
                    others.append(registry.participants[id]!)
                }
            case let status:
                return RuleError(.recordSigner, "the event's signer \(key) may not record: \(status.explanation)")
            }
        }
        guard let recorder = first else {
            return RuleError(.recordSigner, "the event has no signature")
        }
        /// Whether every recorder meets `test`, and whether any does.
        func all(_ test: (Participant) -> Bool) -> Bool { test(recorder) && others.allSatisfy(test) }
        func any(_ test: (Participant) -> Bool) -> Bool { test(recorder) || others.contains(where: test) }
        /// Whether any recorder has one of `roles`.
        func hasAny(_ roles: Set<Participant.Role>) -> Bool {
            any { $0.profile.roles.contains(where: roles.contains) }
        }
        func roleNames(_ set: Set<Participant.Role>) -> String { set.map(\.rawValue).sorted().joined(separator: ", ") }
        let step = demands.step
        let onlyCertifier =
            all { $0.profile.roles.allSatisfy { $0 == .certifier } } && any { !$0.profile.roles.isEmpty }
        if all({ $0.profile.roles.allSatisfy { $0 == .auditor } }) && any({ !$0.profile.roles.isEmpty }) {
            return RuleError(.recordRole, "'\(recorder.id)' is an auditor; an auditor reads, it records no events")
        }
        if onlyCertifier, step != "inspecting" {
            return RuleError(
                .recordRole,
                "'\(recorder.id)' is a certifier; a certifier records inspections only, not \(step ?? "this step")")
        }
        if step == "retail_selling", !hasAny(sellers) {
            return RuleError(
                .recordRole,
                "'\(recorder.id)' may not record a retail sale; that takes one of the roles \(roleNames(sellers))")
        }
        guard !demands.creates.isEmpty || step == "commissioning" else { return nil }
        if !hasAny(producers) {
            return RuleError(
                .recordRole,
                "'\(recorder.id)' may not commission products; that takes one of the roles \(roleNames(producers))")
        }
        let prefixes =
            others.isEmpty
            ? recorder.profile.companyPrefixes : ([recorder] + others).flatMap(\.profile.companyPrefixes)
        for (identifier, gtin) in demands.creates {
            guard let gtin else { continue }
            // The GTIN's digits after its indicator start with the company prefix.
            let body = gtin.utf8.dropFirst()
            guard prefixes.contains(where: { body.starts(with: $0.utf8) }) else {
                return RuleError(
                    .recordCompanyPrefix,
                    "'\(recorder.id)' may not commission GTIN \(gtin) (\(identifier)): its company prefix is not one of"
                        + " '\(recorder.id)'s (\(prefixes.isEmpty ? "none" : prefixes.joined(separator: ", ")))")
            }
        }
        return nil
    }
}
