import TransparencyLog

/// A change to the participant registry, carried as a DSSE statement of type `RegistryStatement.payloadType`
/// (`Specs/09-participants.md`). Registration, key rotation and revocation are signed by the ledger's
/// operator; a channel authorisation is signed by the brand that grants it.
public enum RegistryStatement: Sendable, Hashable {
    /// A new participant with its first keys.
    case registration(Participant.Profile)
    /// A new key for a participant, optionally retiring one of its keys from this record on.
    case keyRotation(participant: String, newKey: String, retiredKey: String?)
    /// A participant (no key) or one of its keys, revoked from this record on.
    case revocation(participant: String, key: String?, reason: String)
    /// A brand allows (or, `withdrawn`, no longer allows) a channel to sell its products — all of them, or
    /// those under the listed company prefixes.
    case channelAuthorization(brand: String, channel: String, companyPrefixes: [String], withdrawn: Bool)

    /// The DSSE payload type of registry statements.
    public static let payloadType = "application/vnd.threadline.registry+json"

    /// The statement's JSON, members in a fixed order.
    public var json: JSONValue {
        func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
        switch self {
        case .registration(let p):
            return .object([
                .init("type", .string("ParticipantRegistration")),
                .init(
                    "participant",
                    .object([
                        .init("id", .string(p.id)), .init("name", .string(p.name)),
                        .init("roles", strings(p.roles.map(\.rawValue))),
                        .init("companyPrefixes", strings(p.companyPrefixes)), .init("locations", strings(p.locations)),
                        .init("keys", strings(p.keys)),
                    ])),
            ])
        case .keyRotation(let id, let newKey, let retiredKey):
            var members: [JSONValue.Member] = [
                .init("type", .string("KeyRotation")), .init("participant", .string(id)),
                .init("newKey", .string(newKey)),
            ]
            if let retiredKey { members.append(.init("retiredKey", .string(retiredKey))) }
            return .object(members)
        case .revocation(let id, let key, let reason):
            var members: [JSONValue.Member] = [.init("type", .string("Revocation")), .init("participant", .string(id))]
            if let key { members.append(.init("key", .string(key))) }
            members.append(.init("reason", .string(reason)))
            return .object(members)
        case .channelAuthorization(let brand, let channel, let prefixes, let withdrawn):
            return .object([
                .init("type", .string("ChannelAuthorization")), .init("brand", .string(brand)),
                .init("channel", .string(channel)), .init("companyPrefixes", strings(prefixes)),
                .init("withdrawn", .bool(withdrawn)),
            ])
        }
    }

    /// The payload bytes.
    public var payload: [UInt8] { Array(json.serialized.utf8) }

    /// Reads a registry statement's payload. Errors name the field (`registry.<field>`).
    public init(payload: some Collection<UInt8>) throws {
        let json: JSONValue
        do { json = try JSONValue(parsing: payload) } catch let error as FormatError {
            throw FormatError("registry.json", "the registry statement is not JSON: \(error.reason)")
        }
        func string(_ value: JSONValue?, _ field: String, optional: Bool = false) throws -> String? {
            guard let value else {
                if optional { return nil }
                throw FormatError("registry.\(field)", "the registry statement has no '\(field)'")
            }
            guard let text = value.stringValue else {
                throw FormatError("registry.\(field)", "'\(field)' must be a string, not \(value.typeName)")
            }
            return text
        }
        func strings(_ value: JSONValue?, _ field: String) throws -> [String] {
            guard let value else { return [] }
            guard let elements = value.elements else {
                throw FormatError("registry.\(field)", "'\(field)' must be an array of strings")
            }
            return try elements.map { try string($0, field)! }
        }
        switch try string(json["type"], "type")! {
        case "ParticipantRegistration":
            guard let p = json["participant"], p.members != nil else {
                throw FormatError("registry.participant", "a registration needs a 'participant' object")
            }
            let roles = try strings(p["roles"], "roles").map { name in
                guard let role = Participant.Role(rawValue: name) else {
                    throw FormatError(
                        "registry.roles",
                        "'\(name)' is not a role; roles are "
                            + Participant.Role.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return role
            }
            self = .registration(
                Participant.Profile(
                    id: try string(p["id"], "id")!, name: try string(p["name"], "name")!, roles: roles,
                    companyPrefixes: try strings(p["companyPrefixes"], "companyPrefixes"),
                    locations: try strings(p["locations"], "locations"), keys: try strings(p["keys"], "keys")))
        case "KeyRotation":
            self = .keyRotation(
                participant: try string(json["participant"], "participant")!,
                newKey: try string(json["newKey"], "newKey")!,
                retiredKey: try string(json["retiredKey"], "retiredKey", optional: true))
        case "Revocation":
            self = .revocation(
                participant: try string(json["participant"], "participant")!,
                key: try string(json["key"], "key", optional: true), reason: try string(json["reason"], "reason")!)
        case "ChannelAuthorization":
            guard case .bool(let withdrawn)? = json["withdrawn"] ?? .bool(false) else {
                throw FormatError("registry.withdrawn", "'withdrawn' must be true or false")
            }
            self = .channelAuthorization(
                brand: try string(json["brand"], "brand")!, channel: try string(json["channel"], "channel")!,
                companyPrefixes: try strings(json["companyPrefixes"], "companyPrefixes"), withdrawn: withdrawn)
        case let other:
            throw FormatError(
                "registry.type",
                "'\(other)' is not a registry statement (ParticipantRegistration, KeyRotation, Revocation,"
                    + " ChannelAuthorization)")
        }
    }
}
