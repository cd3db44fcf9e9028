import TransparencyLog

/// The rules an EPCIS event must meet to be recorded, beyond being valid EPCIS (`Specs/10-recording.md` §2).
public enum RecordingPolicy {
    /// Roles that make things: only they may commission a GTIN, and only under their own company prefixes.
    public static let producers: Set<Participant.Role> = [.origin, .manufacturer, .processor, .brand]
    /// Roles that sell to consumers.
    public static let sellers: Set<Participant.Role> = [.retailer, .marketplace, .channel, .brand]

    /// Why `event`, signed by `signers`, may not be recorded at record `seq`, or nil.
    public static func refusal(
        for event: EPCISEvent, signers: [String], registry: Registry, at seq: Int64
    ) -> FormatError? {
        var recorders: [Participant] = []
        for key in signers {
            switch registry.signer(key, at: seq) {
            case .valid(let id): recorders.append(registry.participants[id]!)
            case let status:
                return FormatError("record.signer", "the event's signer \(key) may not record: \(status.explanation)")
            }
        }
        guard let recorder = recorders.first else {
            return FormatError("record.signer", "the event has no signature")
        }
        let roles = Set(recorders.flatMap(\.profile.roles))
        let step = event.bizStepTerm
        func roleNames(_ set: Set<Participant.Role>) -> String { set.map(\.rawValue).sorted().joined(separator: ", ") }
        if roles == [.certifier], step != "inspecting" {
            return FormatError(
                "record.role",
                "'\(recorder.id)' is a certifier; a certifier records inspections only, not \(step ?? "this step")")
        }
        if step == "retail_selling", roles.isDisjoint(with: sellers) {
            return FormatError(
                "record.role",
                "'\(recorder.id)' may not record a retail sale; that takes one of the roles \(roleNames(sellers))")
        }
        let creates: [String]
        switch event.kind {
        case .transformation: creates = event.outputEPCList + event.outputQuantityList.map(\.epcClass)
        case .object where step == "commissioning" && event.action == .add:
            creates = event.epcList + event.quantityList.map(\.epcClass)
        default: creates = []
        }
        guard !creates.isEmpty || step == "commissioning" else { return nil }
        if roles.isDisjoint(with: producers) {
            return FormatError(
                "record.role",
                "'\(recorder.id)' may not commission products; that takes one of the roles \(roleNames(producers))")
        }
        let prefixes = recorders.flatMap(\.profile.companyPrefixes)
        for identifier in creates {
            guard let gtin = IndexKey.gtin(inCanonical: IndexKey.canonical(identifier)) else { continue }
            let body = gtin.dropFirst()
            guard prefixes.contains(where: { body.hasPrefix($0) }) else {
                return FormatError(
                    "record.companyPrefix",
                    "'\(recorder.id)' may not commission GTIN \(gtin) (\(identifier)): its company prefix is not one of"
                        + " '\(recorder.id)'s (\(prefixes.isEmpty ? "none" : prefixes.joined(separator: ", ")))")
            }
        }
        return nil
    }
}
