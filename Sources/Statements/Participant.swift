import EPCIS
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
        /// Its locations, each a GLN with, when the registration gives them, its country and name.
        public let places: [Place]
        /// Its verifier keys (C2SP vkeys).
        public let keys: [String]

        public init(
            id: String, name: String, roles: [Role], companyPrefixes: [String] = [], places: [Place] = [],
            keys: [String]
        ) {
            self.id = id
            self.name = name
            self.roles = roles
            self.companyPrefixes = companyPrefixes
            self.places = places
            self.keys = keys
        }

        /// A profile whose locations are GLNs alone.
        public convenience init(
            id: String, name: String, roles: [Role], companyPrefixes: [String] = [], locations: [String],
            keys: [String]
        ) {
            self.init(
                id: id, name: name, roles: roles, companyPrefixes: companyPrefixes,
                places: locations.map { Place(gln: $0) }, keys: keys)
        }

        /// Its locations' 13-digit GLNs.
        public var locations: [String] { places.map(\.gln) }

        /// The place of the GLN `gln`, if it is one of the participant's.
        public func place(gln: String) -> Place? { places.first { $0.gln == gln } }

        public static func == (a: Profile, b: Profile) -> Bool {
            a === b
                || (a.id == b.id && a.name == b.name && a.roles == b.roles && a.companyPrefixes == b.companyPrefixes
                    && a.places == b.places && a.keys == b.keys)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(id)
            hasher.combine(name)
            hasher.combine(roles)
            hasher.combine(companyPrefixes)
            hasher.combine(places)
            hasher.combine(keys)
        }
    }

    /// A location of a participant's (`Specs/09-participants.md` §3): its GLN and, so that a step can say where it
    /// happened, its country (ISO 3166-1 alpha-2) and its name in one or more languages ("Tiruppur, Tamil Nadu").
    public struct Place: Sendable, Hashable {
        /// 13 digits.
        public let gln: String
        public let country: String?
        public let name: LocalizedText?

        /// The most characters of a place's name.
        public static let maxName = 200

        public init(gln: String, country: String? = nil, name: LocalizedText? = nil) {
            (self.gln, self.country, self.name) = (gln, country, name)
        }

        /// Reads a location as a registration writes it (`Specs/09-participants.md` §2): its GLN, or
        /// `{"gln", "country", "name"}`; refused with `registry.locations`.
        public init(json: JSONValue) throws {
            if let gln = json.stringValue {
                self.init(gln: gln)
                return
            }
            guard let members = json.members, members.allSatisfy({ ["gln", "country", "name"].contains($0.key) }),
                let gln = json["gln"]?.stringValue
            else {
                throw StatementError(.registryLocations, "a location is a GLN or {\"gln\", \"country\", \"name\"}")
            }
            var country: String?
            if let value = json["country"] {
                guard let code = value.stringValue, CountryCode.isValid(code) else {
                    throw StatementError(
                        .registryLocations, "location \(gln): 'country' is an ISO 3166-1 alpha-2 code (CN, IN …)")
                }
                country = code
            }
            var name: LocalizedText?
            if let value = json["name"] {
                do { name = try LocalizedText(json: value, maxCharacters: Self.maxName) } catch {
                    throw StatementError(.registryLocations, "location \(gln): its name \(error)")
                }
            }
            self.init(gln: gln, country: country, name: name)
        }

        /// As a registration writes it: the GLN alone when there is nothing more, else an object.
        public var json: JSONValue {
            guard country != nil || name != nil else { return .string(gln) }
            var members: [JSONValue.Member] = [.init("gln", .string(gln))]
            if let country { members.append(.init("country", .string(country))) }
            if let name { members.append(.init("name", name.json)) }
            return .object(members)
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
