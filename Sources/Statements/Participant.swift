import TransparencyLog

/// A party in the supply chain, as the registry knows it.
public struct Participant: Sendable, Hashable {
    /// What a participant does in the chain.
    public enum Role: String, Sendable, CaseIterable, Hashable {
        case origin, manufacturer, processor, channel, retailer, marketplace, brand, certifier
        /// Reads everything (`Specs/21-read-policy.md`); records nothing of its own.
        case auditor
    }

    /// What a registration says. Immutable, so a class: a participant is copied for every event checked against
    /// the registry, and sharing the profile makes that one reference count instead of six.
    public final class Profile: Sendable, Hashable {
        public let id: String
        public let name: String
        public let roles: [Role]
        /// GS1 company prefixes the participant owns (6–12 digits).
        public let companyPrefixes: [String]
        /// Its locations, as 13-digit GLNs.
        public let locations: [String]
        /// Its verifier keys (C2SP vkeys).
        public let keys: [String]

        public init(
            id: String, name: String, roles: [Role], companyPrefixes: [String] = [], locations: [String] = [],
            keys: [String]
        ) {
            self.id = id
            self.name = name
            self.roles = roles
            self.companyPrefixes = companyPrefixes
            self.locations = locations
            self.keys = keys
        }

        public static func == (a: Profile, b: Profile) -> Bool {
            a === b
                || (a.id == b.id && a.name == b.name && a.roles == b.roles && a.companyPrefixes == b.companyPrefixes
                    && a.locations == b.locations && a.keys == b.keys)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(id)
            hasher.combine(name)
            hasher.combine(roles)
            hasher.combine(companyPrefixes)
            hasher.combine(locations)
            hasher.combine(keys)
        }
    }

    /// One key and the records it may sign: those after `addedAt` and, once it is retired or revoked, before
    /// `endedAt`.
    public struct Key: Sendable, Hashable {
        public let vkey: String
        public let addedAt: Int64
        public package(set) var endedAt: Int64?
        public package(set) var revoked = false

        package init(vkey: String, addedAt: Int64) {
            self.vkey = vkey
            self.addedAt = addedAt
        }

        /// Whether the key may sign the record at `seq`.
        public func isValid(at seq: Int64) -> Bool { addedAt < seq && endedAt.map { seq < $0 } ?? true }
    }

    public let profile: Profile
    /// The record that registered it.
    public let registeredAt: Int64
    public package(set) var keys: [Key]
    /// The record that revoked the whole participant, if any.
    public package(set) var revokedAt: Int64?

    package init(profile: Profile, registeredAt: Int64, keys: [Key]) {
        self.profile = profile
        self.registeredAt = registeredAt
        self.keys = keys
    }

    public var id: String { profile.id }

    public func has(_ role: Role) -> Bool { profile.roles.contains(role) }

    /// Which of the participant's company prefixes the 14-digit `gtin` is under (the digits after its indicator),
    /// if any.
    public func companyPrefix(ofGTIN gtin: String) -> String? {
        profile.companyPrefixes.first { gtin.dropFirst().hasPrefix($0) }
    }

    /// The keys that may sign the next record.
    public var currentKeys: [Key] { keys.filter { $0.endedAt == nil } }
}
