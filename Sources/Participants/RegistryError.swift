import TransparencyLog

/// Why Participants refuses an input (registry statements, as the registry folds them): a case a rule, grouped by
/// the Specs section that defines it (`Specs/19-errors.md` lists them all).
public enum RegistryCode: String, ErrorCode {
    // 09-participants.md §2
    case basis = "registry.basis", json = "registry.json", roles = "registry.roles", stale = "registry.stale"
    // 09-participants.md §3
    case brand = "registry.brand", channel = "registry.channel", companyPrefix = "registry.companyPrefix"
    case id = "registry.id", key = "registry.key", keys = "registry.keys", location = "registry.location"
    case name = "registry.name", participant = "registry.participant", reason = "registry.reason"
    case retiredKey = "registry.retiredKey", revoked = "registry.revoked", signer = "registry.signer"
    // 24-products.md §3
    case productOwner = "product.owner", productStale = "product.stale"

    public var section: String {
        switch self {
        case .basis, .json, .roles, .stale: "09-participants.md §2"
        case .brand, .channel, .companyPrefix, .id, .key, .keys, .location, .name, .participant, .reason, .retiredKey,
            .revoked, .signer:
            "09-participants.md §3"
        case .productOwner, .productStale: "24-products.md §3"
        }
    }
}

/// An input Participants refuses.
public typealias RegistryError = InputError<RegistryCode>
