import GS1Identifiers
import Statements
import TransparencyLog

/// A brand's authorisation of a channel, from one record until it is withdrawn.
public struct ChannelAuthorization: Sendable, Hashable {
    public let brand: String
    public let channel: String
    /// Empty: every product of the brand.
    public let companyPrefixes: [String]
    public let grantedAt: Int64
    public package(set) var withdrawnAt: Int64?
    /// When it holds by the clock (always, unless the brand gave a window).
    public let window: AuthorizationWindow

    public init(
        brand: String, channel: String, companyPrefixes: [String], grantedAt: Int64, withdrawnAt: Int64? = nil,
        window: AuthorizationWindow = .always
    ) {
        (self.brand, self.channel, self.companyPrefixes) = (brand, channel, companyPrefixes)
        (self.grantedAt, self.withdrawnAt, self.window) = (grantedAt, withdrawnAt, window)
    }

    /// Whether it is in force for record `seq`: granted before it, and not withdrawn by then.
    public func isValid(at seq: Int64) -> Bool { grantedAt < seq && withdrawnAt.map { seq < $0 } ?? true }

    /// Whether it covers a sale at `micros` (microseconds since the epoch) as the log stands at record `seq`: in
    /// force for `seq`, and `micros` within its window.
    public func covers(seq: Int64, micros: Int64) -> Bool { isValid(at: seq) && window.contains(micros: micros) }
}

/// The participant registry, derived from the ledger alone: fold every record's statement in order with
/// `apply`, and it holds who was registered, with which keys and authorisations, at any record.
/// `Specs/09-participants.md`.
public struct Registry: Sendable {
    /// The operator's verifier key, the only one that may register, rotate and revoke.
    public let operatorKey: String
    public private(set) var participants: [String: Participant] = [:]
    public private(set) var authorizations: [ChannelAuthorization] = []
    /// Key to participant id, for every key ever registered.
    private var keyOwners: [String: String] = [:]
    /// The last record that changed each subject (`RegistryStatement.subject`), for freshness.
    private var lastChange: [String: Int64] = [:]
    /// The record of each GTIN's latest product statement (`Specs/24-products.md` §3).
    public private(set) var products: [String: Int64] = [:]
    /// How many records have been folded in.
    public private(set) var size: Int64 = 0

    public init(operatorKey: String) {
        self.operatorKey = operatorKey
    }

    /// Whether `vkey` may sign the record at `seq`, and as whom.
    public enum SignerStatus: Sendable, Equatable {
        case valid(participant: String)
        case unknown
        case notYetValid(participant: String)
        case retired(participant: String, at: Int64)
        case revoked(participant: String, at: Int64)

        /// A sentence for refusals and findings.
        public var explanation: String {
            switch self {
            case .valid(let id): "the key is \(id)'s"
            case .unknown: "the key belongs to no registered participant"
            case .notYetValid(let id): "the key is \(id)'s but was not registered yet at that record"
            case .retired(let id, let at): "the key was \(id)'s until it was rotated out at record \(at)"
            case .revoked(let id, let at): "the key of \(id) was revoked at record \(at)"
            }
        }
    }

    /// The status of `vkey` for the record at `seq` (at most `size`: the registry as it stands).
    public func signer(_ vkey: String, at seq: Int64) -> SignerStatus {
        guard let id = keyOwners[vkey], let participant = participants[id],
            let key = participant.keys.first(where: { $0.vkey == vkey })
        else { return .unknown }
        if let revokedAt = participant.revokedAt, revokedAt <= seq { return .revoked(participant: id, at: revokedAt) }
        if key.isValid(at: seq) { return .valid(participant: id) }
        if seq <= key.addedAt { return .notYetValid(participant: id) }
        return key.revoked ? .revoked(participant: id, at: key.endedAt!) : .retired(participant: id, at: key.endedAt!)
    }

    /// Whether `channel` may sell products under `companyPrefix` of `brand` at record `seq`.
    public func isAuthorized(
        channel: String, brand: String, companyPrefix: String?, at seq: Int64, time micros: Int64
    ) -> Bool {
        authorizations(of: brand, companyPrefix: companyPrefix, at: seq, time: micros).contains {
            $0.channel == channel
        }
    }

    /// The authorisations of `brand` in force for record `seq` that cover a product under `companyPrefix` at
    /// `micros` (microseconds since the epoch; nil: at any time): whom the brand lets sell it then.
    public func authorizations(
        of brand: String, companyPrefix: String?, at seq: Int64, time micros: Int64?
    ) -> [ChannelAuthorization] {
        authorizations.filter { authorization in
            authorization.brand == brand
                && (micros.map { authorization.covers(seq: seq, micros: $0) } ?? authorization.isValid(at: seq))
                && (authorization.companyPrefixes.isEmpty
                    || companyPrefix.map(authorization.companyPrefixes.contains) == true)
        }
    }

    /// Why the registry statement signed by `signers` at record `seq` cannot apply, or nil when it can.
    ///
    /// Freshness (09 §2): a statement's `basis` may not be past `seq`, and nothing may have changed its subject at
    /// or after its basis. A statement without a basis is refused when `requiringBasis` (every new statement);
    /// the fold of a stored log passes false, so that statements recorded before the rule still apply.
    public func refusal(
        of statement: RegistryStatement, signers: [String], at seq: Int64, requiringBasis: Bool = true
    ) -> RegistryError? {
        if let basis = statement.basis {
            guard basis <= seq else {
                return RegistryError(
                    .basis,
                    "the statement was signed against a log of \(basis) records, but would be record \(seq)")
            }
            if let last = lastChange[statement.subject], last >= basis {
                return RegistryError(
                    .stale,
                    "the \(statement.subject) changed at record \(last), after the log of \(basis) records this "
                        + "statement was signed against: sign it again against the log as it stands")
            }
        } else if requiringBasis {
            return RegistryError(
                .basis, "a registry statement must name its basis, the number of records its signer saw")
        }
        return refusal(of: statement.change, signers: signers, at: seq)
    }

    private func refusal(of statement: RegistryStatement.Change, signers: [String], at seq: Int64) -> RegistryError? {
        do throws(RegistryError) {
            switch statement {
            case .registration(let p):
                try operatorOnly("a registration", signers)
                try checkRegistration(p)
            case .keyRotation(let id, let vkey, let retired):
                try operatorOnly("a key rotation", signers)
                let participant = try active(id)
                try checkNewKey(vkey)
                if let retired, !participant.currentKeys.contains(where: { $0.vkey == retired }) {
                    throw RegistryError(.retiredKey, "the key \(retired) is not a current key of '\(id)'")
                }
            case .revocation(let id, let key, let reason):
                try operatorOnly("a revocation", signers)
                let participant = try active(id)
                if let problem = Registry.displayTextProblem(reason) {
                    throw RegistryError(.reason, "a revocation's reason \(problem)")
                }
                if let key, !participant.currentKeys.contains(where: { $0.vkey == key }) {
                    throw RegistryError(.key, "the key \(key) is not a current key of '\(id)'")
                }
            case .channelAuthorization(let brandID, let channelID, let prefixes, _, _):
                try checkAuthorization(
                    brand: brandID, channel: channelID, prefixes: prefixes, signers: signers, at: seq)
            }
            return nil
        } catch {
            return error
        }
    }

    private func operatorOnly(_ what: String, _ signers: [String]) throws(RegistryError) {
        guard signers.contains(operatorKey) else {
            throw RegistryError(.signer, "\(what) must be signed by the ledger's operator key")
        }
    }

    /// The participant `id`, registered and not revoked.
    private func active(_ id: String) throws(RegistryError) -> Participant {
        guard let participant = participants[id] else {
            throw RegistryError(.participant, "no participant '\(id)' is registered")
        }
        if let at = participant.revokedAt {
            throw RegistryError(.revoked, "participant '\(id)' was revoked at record \(at)")
        }
        return participant
    }

    /// A key a participant would gain: an Ed25519 verifier key nobody else holds.
    private func checkNewKey(_ vkey: String) throws(RegistryError) {
        guard (try? Ed25519NoteVerifier(verifierKey: vkey)) != nil else {
            throw RegistryError(.key, "'\(vkey)' is not an Ed25519 verifier key (name+hex id+base64)")
        }
        if let owner = keyOwners[vkey] {
            throw RegistryError(.key, "the key \(vkey) is already registered, to '\(owner)'")
        }
        if vkey == operatorKey {
            throw RegistryError(.key, "the operator's key cannot be a participant's")
        }
    }

    private func checkRegistration(_ p: Participant.Profile) throws(RegistryError) {
        guard !p.id.isEmpty, p.id.utf8.count <= 64,
            p.id.unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isAlphabetic || "0123456789-_.".unicodeScalars.contains($0))
            })
        else {
            throw RegistryError(.id, "participant id '\(p.id)' must be 1–64 letters, digits, '-', '_' or '.'")
        }
        if participants[p.id] != nil {
            throw RegistryError(.id, "participant '\(p.id)' is already registered")
        }
        if let problem = Registry.displayTextProblem(p.name) {
            throw RegistryError(.name, "participant '\(p.id)': the name \(problem)")
        }
        if p.roles.isEmpty { throw RegistryError(.roles, "participant '\(p.id)' needs at least one role") }
        if p.keys.isEmpty { throw RegistryError(.keys, "participant '\(p.id)' needs at least one key") }
        for prefix in p.companyPrefixes
        where !(6...12).contains(prefix.utf8.count) || !prefix.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            throw RegistryError(.companyPrefix, "company prefix '\(prefix)' must be 6 to 12 digits")
        }
        for prefix in p.companyPrefixes {
            if let owner = participants.values.first(where: { $0.profile.companyPrefixes.contains(prefix) }) {
                throw RegistryError(.companyPrefix, "company prefix \(prefix) is already owned by '\(owner.id)'")
            }
        }
        for gln in p.locations {
            do { _ = try GS1Identifier.location(gln: gln).validated() } catch let error as GS1Error {
                throw RegistryError(.location, "location '\(gln)': \(error.reason)")
            } catch { throw RegistryError(.location, "location '\(gln)' is not a GLN") }
        }
        for (i, key) in p.keys.enumerated() {
            try checkNewKey(key)
            if p.keys[..<i].contains(key) { throw RegistryError(.key, "the key \(key) is listed twice") }
        }
    }

    /// A brand authorises a channel (a channel, retailer or marketplace) for some of its own company prefixes,
    /// signed by a current key of the brand's.
    private func checkAuthorization(
        brand brandID: String, channel channelID: String, prefixes: [String], signers: [String], at seq: Int64
    ) throws(RegistryError) {
        let brand = try active(brandID)
        guard brand.has(.brand) else {
            throw RegistryError(.brand, "'\(brandID)' does not have the brand role, so it cannot authorise channels")
        }
        guard signers.contains(where: { signer($0, at: seq) == .valid(participant: brandID) }) else {
            throw RegistryError(.signer, "an authorisation must be signed by a current key of the brand '\(brandID)'")
        }
        let channel = try active(channelID)
        guard channel.has(.channel) || channel.has(.retailer) || channel.has(.marketplace) else {
            throw RegistryError(
                .channel, "'\(channelID)' is not a channel, retailer or marketplace, so it sells nothing")
        }
        for prefix in prefixes where !brand.profile.companyPrefixes.contains(prefix) {
            throw RegistryError(.companyPrefix, "company prefix \(prefix) is not one of '\(brandID)'s")
        }
    }

    /// The most characters a name or reason may have.
    public static let maxDisplayText = 200

    /// Why `text` cannot be shown as a name or reason (`Specs/09-participants.md` §2), or nil: it must have 1 to
    /// `maxDisplayText` characters and none that a terminal or page would act on instead of showing — no control
    /// characters (newlines would forge `participant list` lines; escapes drive terminals) and no bidirectional
    /// overrides (they reorder what is shown).
    public static func displayTextProblem(_ text: String) -> String? {
        DisplayText.problem(text, maxCharacters: maxDisplayText)
    }

    /// Folds the record at `seq` (which must be `size`) into the registry. A registry statement that cannot
    /// apply is returned as a refusal and changes nothing; other statements only advance `size`.
    @discardableResult
    public mutating func apply(seq: Int64, envelope: Envelope) -> (any CodedError)? {
        // Its callers fold a log's own positions in order (the ledger, its registry, the audit), or a bundle's
        // entries after refusing any out of increasing order (`ProductBundle.registry`): no input reaches this.
        precondition(seq >= size, "records are folded in order")
        let signers = envelope.signatures.map(\.keyid)
        if envelope.payloadType == ProductData.payloadType {
            do {
                let product = try ProductData(payload: envelope.payload)
                if let refusal = refusal(of: product, signers: signers, at: seq) { throw refusal }
                apply(seq: seq, product: product)
                return nil
            } catch {
                size = seq + 1
                return error as? any CodedError ?? RegistryError(.json, "\(error)")
            }
        }
        guard envelope.payloadType == RegistryStatement.payloadType else {
            size = seq + 1
            return nil
        }
        do {
            let statement = try RegistryStatement(payload: envelope.payload)
            if let refusal = refusal(of: statement, signers: signers, at: seq, requiringBasis: false) { throw refusal }
            apply(seq: seq, statement: statement, signers: signers)
            return nil
        } catch {
            size = seq + 1
            return error as? any CodedError ?? RegistryError(.json, "\(error)")
        }
    }

    /// Applies a statement that `refusal(of:signers:at:)` accepted, as record `seq` (at least `size`).
    public mutating func apply(seq: Int64, statement: RegistryStatement, signers: [String]) {
        // As for `apply(seq:envelope:)` and products: callers advance through the log's own positions.
        precondition(seq >= size, "records are folded in order")
        size = seq + 1
        lastChange[statement.subject] = seq
        switch statement.change {
        case .registration(let p):
            participants[p.id] = Participant(
                profile: p, registeredAt: seq, keys: p.keys.map { Participant.Key(vkey: $0, addedAt: seq) })
            for key in p.keys { keyOwners[key] = p.id }
        case .keyRotation(let id, let vkey, let retired):
            // `refusal` let the rotation through: the participant is registered (and so for a revocation).
            participants[id]!.keys.append(Participant.Key(vkey: vkey, addedAt: seq))
            keyOwners[vkey] = id
            if let retired { end(retired, of: id, at: seq, revoked: false) }
        case .revocation(let id, let key, _):
            if let key { end(key, of: id, at: seq, revoked: true) } else { participants[id]!.revokedAt = seq }
        case .channelAuthorization(let brand, let channel, let prefixes, let withdrawn, let window):
            if withdrawn {
                for i in authorizations.indices
                where authorizations[i].brand == brand && authorizations[i].channel == channel
                    && authorizations[i].withdrawnAt == nil
                {
                    authorizations[i].withdrawnAt = seq
                }
            } else {
                authorizations.append(
                    ChannelAuthorization(
                        brand: brand, channel: channel, companyPrefixes: prefixes, grantedAt: seq, window: window))
            }
        }
    }

    /// Why the product statement `product`, signed by `signers`, cannot be record `seq` (`Specs/24-products.md`
    /// §3), or nil when it can: it must be signed by a current key of the participant that owns the GTIN's company
    /// prefix, every other signer must be a current participant key or the operator's, and no product statement
    /// for the GTIN may have been recorded at or after its basis.
    public func refusal(of product: ProductData, signers: [String], at seq: Int64) -> RegistryError? {
        guard product.basis <= seq else {
            return RegistryError(
                .basis, "the basis (\(product.basis) records) is beyond the log's \(seq) records before this one")
        }
        if let last = products[product.gtin], last >= product.basis {
            return RegistryError(
                .productStale,
                "the product data of GTIN \(product.gtin) changed at record \(last), after the log of "
                    + "\(product.basis) records this statement was signed against: sign it again against the log as "
                    + "it stands")
        }
        return ownerRefusal(gtin: product.gtin, signers: signers, at: seq, what: "the product data")
    }

    /// The participant that owns the company prefix of the 14-digit `gtin`, if any.
    public func owner(ofGTIN gtin: String) -> Participant? {
        participants.values.first { $0.companyPrefix(ofGTIN: gtin) != nil }
    }

    /// Why a statement about the GTIN `gtin` (`what` it is, for the reason), signed by `signers`, cannot be record
    /// `seq`, or nil: a current key of the participant that owns the GTIN's company prefix must sign it, and every
    /// other signer must be a current participant key or the operator's (`Specs/24-products.md` §3, §7).
    public func ownerRefusal(gtin: String, signers: [String], at seq: Int64, what: String) -> RegistryError? {
        guard let owner = owner(ofGTIN: gtin) else {
            return RegistryError(
                .productOwner, "no participant owns the company prefix of GTIN \(gtin), so nobody may record \(what)")
        }
        guard signers.contains(where: { signer($0, at: seq) == .valid(participant: owner.id) }) else {
            return RegistryError(
                .productOwner,
                "\(what) of GTIN \(gtin) must be signed by a current key of '\(owner.id)', which owns its company "
                    + "prefix")
        }
        for key in signers where key != operatorKey {
            let status = signer(key, at: seq)
            guard case .valid = status else {
                return RegistryError(.signer, "the signer \(key) may not sign: \(status.explanation)")
            }
        }
        return nil
    }

    /// Applies a product statement that `refusal(of:signers:at:)` accepted, as record `seq` (at least `size`).
    public mutating func apply(seq: Int64, product: ProductData) {
        // Its callers — the admission's scratch registry, `apply(seq:envelope:)` and the audit's in-order fold —
        // each advance through the log's own positions, never a number a statement carries: no input reaches this.
        precondition(seq >= size, "records are folded in order")
        size = seq + 1
        products[product.gtin] = seq
    }

    /// Advances past records known to hold no registry statement.
    public mutating func skip(to newSize: Int64) {
        precondition(newSize >= size, "records are folded in order")
        size = newSize
    }

    /// Ends a key of a registered participant (`apply` is given only statements `refusal` let through, whose
    /// participant is registered).
    private mutating func end(_ vkey: String, of id: String, at seq: Int64, revoked: Bool) {
        guard let i = participants[id]!.keys.firstIndex(where: { $0.vkey == vkey && $0.endedAt == nil }) else { return }
        participants[id]!.keys[i].endedAt = seq
        participants[id]!.keys[i].revoked = revoked
    }
}
