import EPCIS
import TransparencyLog

/// A change to the participant registry, carried as a DSSE statement of type `RegistryStatement.payloadType`
/// (`Specs/09-participants.md`). Registration, key rotation and revocation are signed by the ledger's
/// operator; a channel authorisation is signed by the brand that grants it.
///
/// Each names its `basis`, the size of the log its signer saw: it applies only if nothing has changed what it
/// changes since (09 §2, freshness). So a statement can be applied once, in the state it was signed for, and
/// never replayed — not after a withdrawal, not when it was signed and held back.
public struct RegistryStatement: Sendable, Hashable {
    /// What a registry statement changes.
    public enum Change: Sendable, Hashable {
        /// A new participant with its first keys.
        case registration(Participant.Profile)
        /// A new key for a participant, optionally retiring one of its keys from this record on.
        case keyRotation(participant: String, newKey: String, retiredKey: String?)
        /// A participant (no key) or one of its keys, revoked from this record on.
        case revocation(participant: String, key: String?, reason: String)
        /// A brand allows (or, `withdrawn`, no longer allows) a channel to sell its products — all of them, or
        /// those under the listed company prefixes — during `window` (a live-stream, a season; always by
        /// default).
        case channelAuthorization(
            brand: String, channel: String, companyPrefixes: [String], withdrawn: Bool,
            window: AuthorizationWindow = .always)
    }

    /// The change.
    public let change: Change
    /// The number of records in the log its signer saw; nil only in statements recorded before freshness was
    /// required, which the ledger no longer accepts.
    public let basis: Int64?

    public init(_ change: Change, basis: Int64?) {
        self.change = change
        self.basis = basis
    }

    /// A registration, signed against a log of `basis` records.
    public static func registration(_ profile: Participant.Profile, basis: Int64?) -> RegistryStatement {
        RegistryStatement(.registration(profile), basis: basis)
    }

    /// A key rotation, signed against a log of `basis` records.
    public static func keyRotation(
        participant: String, newKey: String, retiredKey: String?, basis: Int64?
    ) -> RegistryStatement {
        RegistryStatement(.keyRotation(participant: participant, newKey: newKey, retiredKey: retiredKey), basis: basis)
    }

    /// A revocation, signed against a log of `basis` records.
    public static func revocation(
        participant: String, key: String?, reason: String, basis: Int64?
    )
        -> RegistryStatement
    {
        RegistryStatement(.revocation(participant: participant, key: key, reason: reason), basis: basis)
    }

    /// A channel authorisation (or its withdrawal), signed against a log of `basis` records.
    public static func channelAuthorization(
        brand: String, channel: String, companyPrefixes: [String], withdrawn: Bool,
        window: AuthorizationWindow = .always, basis: Int64?
    ) -> RegistryStatement {
        RegistryStatement(
            .channelAuthorization(
                brand: brand, channel: channel, companyPrefixes: companyPrefixes, withdrawn: withdrawn,
                window: window),
            basis: basis)
    }

    /// What the statement changes, for freshness: a participant, or a brand's authorisation of a channel.
    public var subject: String {
        switch change {
        case .registration(let p): "participant " + p.id
        case .keyRotation(let id, _, _), .revocation(let id, _, _): "participant " + id
        case .channelAuthorization(let brand, let channel, _, _, _): "authorisation " + brand + " " + channel
        }
    }

    /// The DSSE payload type of registry statements.
    public static let payloadType = "application/vnd.threadline.registry+json"

    /// The statement's JSON, members in a fixed order, `basis` last.
    public var json: JSONValue {
        guard case .object(let members) = changeJSON, let basis else { return changeJSON }
        return .object(members + [.init("basis", .number(String(basis)))])
    }

    private var changeJSON: JSONValue {
        func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
        switch change {
        case .registration(let p):
            return .object([
                .init("type", .string("ParticipantRegistration")),
                .init(
                    "participant",
                    .object([
                        .init("id", .string(p.id)), .init("name", .string(p.name)),
                        .init("roles", strings(p.roles.map(\.rawValue))),
                        .init("companyPrefixes", strings(p.companyPrefixes)),
                        .init("locations", .array(p.places.map(\.json))),
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
        case .channelAuthorization(let brand, let channel, let prefixes, let withdrawn, let window):
            var members: [JSONValue.Member] = [
                .init("type", .string("ChannelAuthorization")), .init("brand", .string(brand)),
                .init("channel", .string(channel)), .init("companyPrefixes", strings(prefixes)),
            ]
            if let from = window.validFrom { members.append(.init("validFrom", .string(from))) }
            if let until = window.validUntil { members.append(.init("validUntil", .string(until))) }
            members.append(.init("withdrawn", .bool(withdrawn)))
            return .object(members)
        }
    }

    /// The payload bytes.
    public var payload: [UInt8] { Array(json.serialized.utf8) }

    /// Reads a registry statement's payload. Errors name the field (`registry.<field>`).
    public init(payload: some Collection<UInt8>) throws {
        let json: JSONValue
        do { json = try JSONValue(parsing: payload) } catch let error as EPCISError {
            throw StatementError(.registryJSON, "the registry statement is not JSON: \(error.reason)")
        }
        // A field's code is `registry.` and its name.
        func optionalString(_ value: JSONValue?, _ code: StatementCode) throws -> String? {
            try value.map { try string($0, code) }
        }
        func string(_ value: JSONValue?, _ code: StatementCode) throws -> String {
            let field = code.rawValue.dropFirst("registry.".count)
            guard let value else { throw StatementError(code, "the registry statement has no '\(field)'") }
            guard let text = value.stringValue else {
                throw StatementError(code, "'\(field)' must be a string, not \(value.typeName)")
            }
            return text
        }
        func strings(_ value: JSONValue?, _ code: StatementCode) throws -> [String] {
            guard let value else { return [] }
            guard let elements = value.elements else {
                throw StatementError(
                    code, "'\(code.rawValue.dropFirst("registry.".count))' must be an array of strings")
            }
            return try elements.map { try string($0, code) }
        }
        /// A location is its GLN, or `{"gln", "country"?, "name"?}` (09 §3).
        func places(_ value: JSONValue?) throws -> [Participant.Place] {
            guard let value else { return [] }
            guard let elements = value.elements else {
                throw StatementError(.registryLocations, "'locations' must be an array of GLNs or location objects")
            }
            return try elements.map(Participant.Place.init(json:))
        }
        var basis: Int64?
        if let value = json["basis"] {
            guard case .number(let text) = value, let number = Int64(text), number >= 0 else {
                throw StatementError(.registryBasis, "'basis' must be a whole number of records, 0 or more")
            }
            basis = number
        }
        let change: Change
        switch try string(json["type"], .registryType) {
        case "ParticipantRegistration":
            guard let p = json["participant"], p.members != nil else {
                throw StatementError(.registryParticipant, "a registration needs a 'participant' object")
            }
            let roles = try strings(p["roles"], .registryRoles).map { name in
                guard let role = Participant.Role(rawValue: name) else {
                    throw StatementError(
                        .registryRoles,
                        "'\(name)' is not a role; roles are "
                            + Participant.Role.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return role
            }
            change = .registration(
                Participant.Profile(
                    id: try string(p["id"], .registryID), name: try string(p["name"], .registryName), roles: roles,
                    companyPrefixes: try strings(p["companyPrefixes"], .registryCompanyPrefixes),
                    places: try places(p["locations"]),
                    keys: try strings(p["keys"], .registryKeys)))
        case "KeyRotation":
            change = .keyRotation(
                participant: try string(json["participant"], .registryParticipant),
                newKey: try string(json["newKey"], .registryNewKey),
                retiredKey: try optionalString(json["retiredKey"], .registryRetiredKey))
        case "Revocation":
            change = .revocation(
                participant: try string(json["participant"], .registryParticipant),
                key: try optionalString(json["key"], .registryKey),
                reason: try string(json["reason"], .registryReason))
        case "ChannelAuthorization":
            guard case .bool(let withdrawn)? = json["withdrawn"] ?? .bool(false) else {
                throw StatementError(.registryWithdrawn, "'withdrawn' must be true or false")
            }
            let window = try AuthorizationWindow(
                validFrom: try optionalString(json["validFrom"], .registryValidFrom),
                validUntil: try optionalString(json["validUntil"], .registryValidUntil))
            if withdrawn, window != .always {
                throw StatementError(.registryWithdrawn, "a withdrawal ends the authorisation whole: it has no window")
            }
            change = .channelAuthorization(
                brand: try string(json["brand"], .registryBrand),
                channel: try string(json["channel"], .registryChannel),
                companyPrefixes: try strings(json["companyPrefixes"], .registryCompanyPrefixes), withdrawn: withdrawn,
                window: window)
        case let other:
            throw StatementError(
                .registryType,
                "'\(other)' is not a registry statement (ParticipantRegistration, KeyRotation, Revocation,"
                    + " ChannelAuthorization)")
        }
        self.init(change, basis: basis)
    }
}

/// When a channel authorisation holds by the clock (`Specs/09-participants.md` §2): from `validFrom`, inclusive,
/// until `validUntil`, exclusive — each an xsd:dateTime with a zone, kept as written, or open. A live-stream's
/// hour, a season.
public struct AuthorizationWindow: Sendable, Hashable {
    /// The times as signed; nil for an open end.
    public let validFrom: String?
    public let validUntil: String?
    /// The same times, microseconds since the epoch (UTC).
    public let fromMicros: Int64?
    public let untilMicros: Int64?

    /// Open at both ends: the authorisation holds whatever the time.
    public static let always = AuthorizationWindow()

    private init() {
        (validFrom, validUntil, fromMicros, untilMicros) = (nil, nil, nil, nil)
    }

    /// A window from `validFrom` until `validUntil`, either nil for open. Each must be an xsd:dateTime with a
    /// zone (`2026-12-12T20:00:00+08:00`), and the end after the start.
    public init(validFrom: String?, validUntil: String?) throws(StatementError) {
        func micros(_ text: String?, _ code: StatementCode) throws(StatementError) -> Int64? {
            guard let text else { return nil }
            guard let time = Timestamp.parseDateTime(text) else {
                throw StatementError(
                    code,
                    "'\(code.rawValue.dropFirst("registry.".count))' must be a date and time with a zone"
                        + " (2026-12-12T20:00:00+08:00), not '\(text)'")
            }
            return time.micros
        }
        let from = try micros(validFrom, .registryValidFrom)
        let until = try micros(validUntil, .registryValidUntil)
        if let from, let until, until <= from {
            throw StatementError(.registryValidUntil, "'validUntil' must be after 'validFrom'")
        }
        (self.validFrom, self.validUntil, fromMicros, untilMicros) = (validFrom, validUntil, from, until)
    }

    /// `from T until T`, `from T`, `until T` or `at any time`, the times as signed.
    public var description: String {
        switch (validFrom, validUntil) {
        case (let from?, let until?): "from \(from) until \(until)"
        case (let from?, nil): "from \(from)"
        case (nil, let until?): "until \(until)"
        case (nil, nil): "at any time"
        }
    }

    /// Whether the window holds at `micros` (microseconds since the epoch, UTC).
    public func contains(micros: Int64) -> Bool {
        (fromMicros.map { $0 <= micros } ?? true) && (untilMicros.map { micros < $0 } ?? true)
    }
}
