import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import LedgerStore
import Participants
import Statements
import TransparencyLog

/// Everything needed to verify a product's journey away from the ledger (`Specs/14-bundles.md`): the records
/// of every event in its journey and every registry statement, each with its inclusion proof — a sealed event's
/// with the disclosures its reader may see — the (cosigned) checkpoint they are proved against, and the operator's
/// signature over the whole bundle.
public struct ProductBundle: Sendable {
    /// The format written: version 2 carries sealed events' disclosures.
    public static let format = "threadline/bundle/v2"
    /// The formats read: version 1 (no disclosures) and 2.
    static let formats = ["threadline/bundle/v1", format]

    /// One record and its inclusion proof; for a sealed event, the disclosures given with it and, when all of
    /// them are, its decoy seeds (which prove that none is withheld).
    public struct Entry: Sendable {
        public let seq: Int64
        public let record: [UInt8]
        public let proof: [Hash]
        /// A sealed event's disclosures, as their base64url text; nil for any other record.
        public let disclosures: [String]?
        /// A sealed event's decoy seeds, as unpadded base64url, when `disclosures` are all of its disclosures.
        public let decoys: [String]?
        /// With `decoys`: the digests whose disclosures were erased (23 §7), if any.
        public let erased: [String]?

        public init(
            seq: Int64, record: [UInt8], proof: [Hash], disclosures: [String]? = nil, decoys: [String]? = nil,
            erased: [String]? = nil
        ) {
            (self.seq, self.record, self.proof) = (seq, record, proof)
            (self.disclosures, self.decoys, self.erased) = (disclosures, decoys, erased)
        }

        /// This entry with a sealed event's `opening`: all of it (its disclosures, decoy seeds and erased
        /// digests), or only the disclosures `shown`.
        func opened(_ opening: Opening, shown: [Disclosure]? = nil) -> Entry {
            let whole = shown == nil
            return Entry(
                seq: seq, record: record, proof: proof, disclosures: (shown ?? opening.disclosures).map(\.encoded),
                decoys: whole ? opening.decoys.map(Base64URL.encode) : nil,
                erased: whole && !opening.erased.isEmpty ? opening.erased.map(\.digest) : nil)
        }
    }

    /// The bundle's format (`format`, or version 1 for a bundle read that says so).
    public let version: String

    /// The product's code, in canonical form.
    public let code: String
    /// The checkpoint, as a signed note (operator signature and any cosignatures).
    public let checkpoint: SignedNote
    /// Records in increasing order.
    public let entries: [Entry]
    /// The operator's signed note over the bundle's digest.
    public let seal: SignedNote

    /// The bundle's JSON, canonical: compact, members in this order, standard base64.
    public var json: JSONValue {
        ProductBundle.body(version: version, code: code, checkpoint: checkpoint, entries: entries, seal: seal)
    }

    static func body(
        version: String, code: String, checkpoint: SignedNote, entries: [Entry], seal: SignedNote?
    ) -> JSONValue {
        var members: [JSONValue.Member] = [
            .init("format", .string(version)), .init("code", .string(code)),
            .init("checkpoint", .string(checkpoint.encoded)), .init("records", records(entries)),
        ]
        if let seal { members.append(.init("seal", .string(seal.encoded))) }
        return .object(members)
    }

    /// Records with their proofs, as a bundle holds them: `[{"seq", "record": base64, "proof": [base64 hash]}]`,
    /// a sealed event's with `"disclosures": [text]` and, when they are all, `"decoys": [text]` and any
    /// `"erased": [digest]`.
    public static func records(_ entries: [Entry]) -> JSONValue {
        .array(
            entries.map { entry in
                var members: [JSONValue.Member] = [
                    .init("seq", .number(String(entry.seq))),
                    .init("record", .string(Data(entry.record).base64EncodedString())),
                    .init("proof", .array(entry.proof.map { .string($0.base64) })),
                ]
                if let disclosures = entry.disclosures {
                    members.append(.init("disclosures", .array(disclosures.map(JSONValue.string))))
                }
                if let decoys = entry.decoys { members.append(.init("decoys", .array(decoys.map(JSONValue.string)))) }
                if let erased = entry.erased { members.append(.init("erased", .array(erased.map(JSONValue.string)))) }
                return .object(members)
            })
    }

    /// The records a bundle's `records` member holds (`records(_:)`'s inverse).
    public static func entries(_ json: JSONValue?) throws -> [Entry] {
        try (json?.elements ?? []).enumerated().map { index, element in
            guard case .number(let text)? = element["seq"], let seq = Int64(text),
                let base64 = element["record"]?.stringValue, let record = Data(base64Encoded: base64),
                let proofs = element["proof"]?.elements
            else { throw EngineError(.bundleRecords, "record entry \(index) is not {seq, record, proof}") }
            let proof = try proofs.map { value -> Hash in
                guard let text = value.stringValue, let hash = Hash(base64: text) else {
                    throw EngineError(.bundleProof, "record entry \(index) has a proof line that is not a hash")
                }
                return hash
            }
            func strings(_ key: String) throws -> [String]? {
                guard let value = element[key] else { return nil }
                guard let list = value.elements?.compactMap(\.stringValue), list.count == value.elements?.count else {
                    throw EngineError(
                        .bundleRecords, "record entry \(index) has '\(key)' that is not a list of strings")
                }
                return list
            }
            let entry = Entry(
                seq: seq, record: Array(record), proof: proof, disclosures: try strings("disclosures"),
                decoys: try strings("decoys"), erased: try strings("erased"))
            guard entry.decoys != nil || entry.erased == nil, entry.disclosures != nil || entry.decoys == nil else {
                throw EngineError(
                    .bundleRecords, "record entry \(index): decoys come with disclosures, erased with decoys")
            }
            return entry
        }
    }

    /// The text the operator signs: the format, the code, and the SHA-256 of the unsealed bundle.
    static func sealText(version: String, code: String, checkpoint: SignedNote, entries: [Entry]) -> String {
        let digest = Hash.sha256(
            Array(
                body(version: version, code: code, checkpoint: checkpoint, entries: entries, seal: nil).serialized.utf8)
        )
        return "\(version)\n\(code)\n\(digest.base64)\n"
    }

    /// The bytes of the bundle file: its canonical JSON and a newline.
    public var encoded: [UInt8] { Array((json.serialized + "\n").utf8) }

    init(code: String, checkpoint: SignedNote, entries: [Entry], seal: SignedNote) {
        self.version = ProductBundle.format
        self.code = code
        self.checkpoint = checkpoint
        self.entries = entries
        self.seal = seal
    }

    /// Reads a bundle file. It must be exactly the canonical encoding (any other byte is refused).
    public init(parsing bytes: [UInt8]) throws {
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch let error as EPCISError {
            throw EngineError(.bundleJSON, "the bundle is not JSON: \(error.reason)")
        }
        // A member's code is `bundle.` and its name.
        func string(_ code: EngineCode) throws -> String {
            let key = String(code.rawValue.dropFirst("bundle.".count))
            guard let value = json[key]?.stringValue else {
                throw EngineError(code, "the bundle has no '\(key)' string")
            }
            return value
        }
        version = try string(.bundleFormat)
        guard ProductBundle.formats.contains(version) else {
            throw EngineError(
                .bundleFormat, "not a bundle of a known format (\(ProductBundle.formats.joined(separator: ", ")))")
        }
        code = try string(.bundleCode)
        checkpoint = try SignedNote(parsing: try string(.bundleCheckpoint))
        seal = try SignedNote(parsing: try string(.bundleSeal))
        entries = try Self.entries(json["records"])
        if version != ProductBundle.format, entries.contains(where: { $0.disclosures != nil }) {
            throw EngineError(.bundleRecords, "a \(version) bundle carries no disclosures")
        }
        guard encoded == bytes else {
            throw EngineError(.bundleCanonical, "the bundle is not in canonical form: its bytes were changed")
        }
    }

    /// What verifying a bundle established.
    public struct Verification: Sendable {
        /// The checkpoint the records are proved against.
        public let checkpoint: Checkpoint
        /// Its cosigners (witness names).
        public let cosigners: [String]
        public let journey: Journey
        /// Every event of the bundle, verified (in a partial bundle, some may not be reachable from the code).
        public let events: [RecordedEvent]
        /// The registry the bundle's registry statements make.
        public let registry: Registry
        public let integrity: [IntegrityRules.Finding]
        /// The listing verdict, when a seller was given.
        public let listing: ListingCheck.Result?
    }

    /// Verifies the bundle with no database: the seal and checkpoint by the log's key (and `quorum` of
    /// `witnesses`), every record's inclusion and signatures, then re-derives the journey from the records and
    /// requires it to be exactly the bundle's events — unless the bundle is `partial` (a reader's view, 21 §2,
    /// where the steps linking some events to the code are not the reader's to see). With `seller`, also the
    /// listing verdict.
    public func verify(
        log: Ed25519NoteVerifier, witnesses: [CosignatureVerifier] = [], quorum: Int = 0, seller: String? = nil,
        claims: [(key: String, value: String)] = [], partial: Bool = false
    ) async throws -> Verification {
        let (body, cosigners) = try verifySealAndCheckpoint(log: log, witnesses: witnesses, quorum: quorum)
        // Every record: in the tree, well formed, signed.
        var registry = Registry(operatorKey: log.verifierKey)
        var events: [RecordedEvent] = []
        var last: Int64 = -1
        for entry in entries {
            guard entry.seq > last else {
                throw EngineError(.bundleOrder, "records are not in increasing order at \(entry.seq)")
            }
            last = entry.seq
            if let event = try Self.verify(entry, in: body, registry: &registry) { events.append(event) }
        }
        registry.skip(to: body.size)
        // The journey, re-derived from the bundle's events alone, must be all of them.
        var byKey: [String: [RecordedEvent]] = [:]
        for event in events {
            for key in Statement.event(event.event, hash: event.hash).indexKeys {
                byKey[key, default: []].append(event)
            }
        }
        let journey = try await Ledger.journey(code, registry: registry) { byKey[$0] ?? [] }
        let included = Set(events.map(\.seq))
        let derived = Set(journey.steps.map(\.seq))
        guard derived == included || (partial && derived.isSubset(of: included)) else {
            throw EngineError(
                .bundleJourney,
                "the bundle's events are not exactly the journey of \(code): "
                    + "\(included.subtracting(derived).count) extra, \(derived.subtracting(included).count) missing")
        }
        let assessment = Assessment(journey: journey, registry: registry)
        return Verification(
            checkpoint: body, cosigners: cosigners, journey: journey, events: events, registry: registry,
            integrity: assessment.integrity,
            listing: seller.map { assessment.listing(seller: $0, claims: claims) })
    }

    /// The seal (the operator vouches for this exact bundle) and the checkpoint, with `quorum` of `witnesses`.
    private func verifySealAndCheckpoint(
        log: Ed25519NoteVerifier, witnesses: [CosignatureVerifier], quorum: Int
    ) throws -> (Checkpoint, cosigners: [String]) {
        guard case .verified(let sealers) = seal.verify([log]), sealers.contains(log.name) else {
            throw EngineError(.bundleSeal, "the bundle's seal is not signed by the log key '\(log.name)'")
        }
        guard
            seal.text == ProductBundle.sealText(version: version, code: code, checkpoint: checkpoint, entries: entries)
        else {
            throw EngineError(.bundleSeal, "the bundle's seal does not match its contents")
        }
        guard code == DigitalLink.canonical(code) else {
            throw EngineError(.bundleCode, "the code '\(code)' is not in canonical form")
        }
        guard case .verified(let names) = checkpoint.verify([log] + witnesses), names.contains(log.name) else {
            throw EngineError(.bundleCheckpoint, "the checkpoint is not signed by the log key '\(log.name)'")
        }
        let cosigners = names.filter { $0 != log.name }
        guard cosigners.count >= quorum else {
            throw EngineError(
                .bundleQuorum, "\(cosigners.count) of the required \(quorum) witnesses cosigned the checkpoint")
        }
        let body = try Checkpoint(text: checkpoint.text)
        guard body.origin == log.name else {
            throw EngineError(.bundleCheckpoint, "the checkpoint is for '\(body.origin)'")
        }
        return (body, cosigners)
    }

    /// One record of the bundle: in the tree of `body`, well formed, signed; a registry statement is folded into
    /// `registry`, an event returned.
    private static func verify(
        _ entry: Entry, in body: Checkpoint, registry: inout Registry
    ) throws -> RecordedEvent? {
        guard
            Proofs.verifyInclusion(
                leafHash: Merkle.leafHash(entry.record), index: entry.seq, size: body.size, proof: entry.proof,
                root: body.root)
        else { throw EngineError(.bundleInclusion, "record \(entry.seq) is not in the tree of size \(body.size)") }
        let record = try LedgerRecord(bytes: entry.record)
        guard record.seq == entry.seq else {
            throw EngineError(.bundleRecord, "record \(entry.seq) says seq \(record.seq)")
        }
        if case .failure(let error) = record.envelope.verifySignatures() {
            throw EngineError(.bundleSignature, "record \(entry.seq): \(error.reason)")
        }
        let envelope = record.envelope
        guard envelope.payloadType != SealedEvent.payloadType else { return try disclosed(entry, record) }
        guard entry.disclosures == nil, entry.decoys == nil else {
            throw EngineError(
                .bundleDisclosure, "record \(entry.seq) is not a sealed event, and comes with disclosures")
        }
        switch try Statement(payloadType: envelope.payloadType, payload: envelope.payload) {
        case .registry:
            registry.skip(to: entry.seq)
            if let refusal = registry.apply(seq: entry.seq, envelope: envelope) {
                throw EngineError(.bundleRegistry, "record \(entry.seq): \(refusal.reason)")
            }
            return nil
        case .event(let event, let hash):
            return RecordedEvent(
                seq: entry.seq, recordTimeMillis: record.timeMillis, event: event, knownHash: hash,
                signers: envelope.signatures.map(\.keyid), payload: envelope.payload)
        case .opaque, .anchor, .erasure, .product, .commitment, .verification:
            throw EngineError(.bundleRecord, "record \(entry.seq) is neither an event nor a registry statement")
        }
    }

    /// A sealed event's record with the disclosures the bundle gives (`Specs/14-bundles.md` §2): each matches a
    /// digest of the signed record, and what they make is the event as far as they go. With its decoy seeds, the
    /// event must open whole, and is then read, and hashed, as a plain one; without, its CBV hash is not known
    /// (the step's `hash` is empty).
    private static func disclosed(_ entry: Entry, _ record: LedgerRecord) throws -> RecordedEvent {
        let envelope = record.envelope
        guard let texts = entry.disclosures else {
            throw EngineError(.bundleDisclosure, "record \(entry.seq) is a sealed event, and comes with no disclosures")
        }
        do {
            let disclosures = try texts.map(Disclosure.init(parsing:))
            let event: EPCISEvent
            var hash = ""
            var opening: Opening?
            if let decoys = entry.decoys {
                let seeds = try decoys.map { text -> [UInt8] in
                    guard let seed = Base64URL.decode(text), seed.count == 16 else {
                        throw StatementError(.sealedDisclosure, "a decoy seed is 16 bytes, in unpadded base64url")
                    }
                    return seed
                }
                // Erased digests are accounted for like decoys (23 §7); the `by` records are the ledger's business.
                let erased = (entry.erased ?? []).map { Opening.Erased(digest: $0, by: entry.seq) }
                let whole = Opening(disclosures: disclosures, decoys: seeds, erased: erased)
                event = try Statement.sealedEvent(payload: envelope.payload, opening: whole)
                hash = event.hash()
                opening = whole
            } else {
                event = try Statement.disclosedEvent(payload: envelope.payload, disclosures: disclosures)
            }
            return RecordedEvent(
                seq: entry.seq, recordTimeMillis: record.timeMillis, event: event, knownHash: hash,
                signers: envelope.signatures.map(\.keyid), payload: envelope.payload, sealed: true, opening: opening)
        } catch let error as StatementError {
            throw EngineError(.bundleDisclosure, "record \(entry.seq): \(error.reason)")
        }
    }
}

extension Ledger {
    /// The offline bundle of `code` for `reader` (`Specs/14-bundles.md` §1): the records of its journey's steps
    /// that the reader may see (`ReadPolicy`; all of them for the operator), a sealed one's with all of its
    /// disclosures; the records of its other sealed steps, public, with only the consumer's disclosures
    /// (`ReadPolicy.consumerDisclosures`); and every registry statement, or to a reader who may not read the
    /// registry only those the bundle needs (`registryStatements`) — proved against the latest checkpoint (signed
    /// now if the log grew), sealed by the operator. Needs the operator key.
    public func bundle(
        _ code: String, for reader: Reader = .operator, publicReads: Bool = false
    ) async throws
        -> ProductBundle
    {
        guard signer != nil else { throw LedgerError.noOperatorKey }
        let note = try await checkpoint()
        let body = try Checkpoint(text: note.text)
        let assessment = try await assess(code)
        let journey = assessment.journey
        let policy = ReadPolicy(registry: assessment.registry, publicReads: publicReads)
        let whole = Set(policy.visibleSteps(of: journey, reader: reader).map(\.seq))
        let bundled = journey.steps.filter { whole.contains($0.seq) || $0.sealed }
        let steps = bundled.map(\.seq)
        guard !steps.isEmpty else { throw LedgerError.noSuchProduct(code) }
        var registrySeqs = try await store.lookup([IndexKey.registry], from: 0).map(\.seq)
        if policy.access(.registry, reader) == .refused {
            // A reader who may not read the registry gets only what its bundle needs of it (21 §2).
            registrySeqs = try await registryStatements(
                registrySeqs, concerning: bundled, of: journey,
                registry: assessment.registry)
        }
        let seqs = Array(Set(steps + registrySeqs)).filter { $0 < body.size }.sorted()
        let sealed = Set(journey.steps.filter(\.sealed).map(\.seq))
        let openings = try await store.openings(at: seqs.filter(sealed.contains))
        let identifiers = ReadPolicy.journeyIdentifiers(of: journey)
        let entries = try await provedEntries(seqs, size: body.size).map { entry -> ProductBundle.Entry in
            guard sealed.contains(entry.seq) else { return entry }
            guard let stored = openings[entry.seq] else {
                throw LedgerStoreError.corrupt("sealed record \(entry.seq) has no opening")
            }
            let opening = try Opening(stored: stored)
            // All of it to whoever may see the record: decoy seeds and erased digests prove nothing is withheld.
            if whole.contains(entry.seq) { return entry.opened(opening) }
            let payload = try JSONValue(parsing: try LedgerRecord(bytes: entry.record).envelope.payload)
            return entry.opened(
                opening,
                shown: ReadPolicy.consumerDisclosures(
                    payload: payload, disclosures: opening.disclosures, naming: identifiers))
        }
        return try ProductBundle.sealed(code: DigitalLink.canonical(code), checkpoint: note, entries: entries, by: self)
    }
}

extension Ledger {
    /// Of the registry statements at `seqs`, those a bundle of `steps` of `journey` needs to be verified and judged:
    /// each statement about a participant who recorded one of the steps, about a brand owning the product's GTIN
    /// prefix, or about a channel such a brand authorised, and those authorisations — not the rest of the
    /// registry, which is the participants' to read (21 §2). A participant's statements are all there, so its
    /// freshness checks (09 §2) hold as they did.
    func registryStatements(
        _ seqs: [Int64], concerning steps: [Journey.Step], of journey: Journey, registry: Registry
    ) async throws -> [Int64] {
        let gtin = DigitalLink.gtin(inCanonical: journey.identifier)
        let brands = Set(
            registry.participants.values.filter { p in p.has(.brand) && gtin.flatMap(p.companyPrefix(ofGTIN:)) != nil }
                .map(\.id))
        let channels = Set(registry.authorizations.filter { brands.contains($0.brand) }.map(\.channel))
        let participants = Set(steps.compactMap(\.participant?.id)).union(brands).union(channels)
        let records = try await store.records(at: seqs)
        return try zip(seqs, records).compactMap { seq, bytes in
            let statement = try RegistryStatement(payload: try LedgerRecord(bytes: bytes).envelope.payload)
            switch statement.change {
            case .registration(let p): return participants.contains(p.id) ? seq : nil
            case .keyRotation(let id, _, _), .revocation(let id, _, _): return participants.contains(id) ? seq : nil
            case .channelAuthorization(let brand, _, _, _, _): return brands.contains(brand) ? seq : nil
            }
        }
    }
}

extension Ledger {
    /// Every registry statement's record with its inclusion proof, against the latest checkpoint (signed now if
    /// the log grew): what a participant's client folds into the registry (`Specs/22-client.md` §3).
    public func provedRegistry() async throws -> (checkpoint: SignedNote, entries: [ProductBundle.Entry]) {
        try await ensureIndexed()
        let note = try await checkpoint()
        let body = try Checkpoint(text: note.text)
        let seqs = try await store.lookup([IndexKey.registry], from: 0).map(\.seq).filter { $0 < body.size }
        return (note, try await provedEntries(seqs, size: body.size))
    }

    /// The records at `seqs`, each with its inclusion proof in the tree of `size`.
    func provedEntries(_ seqs: [Int64], size: Int64) async throws -> [ProductBundle.Entry] {
        let records = try await store.records(at: seqs)
        var entries: [ProductBundle.Entry] = []
        for (seq, record) in zip(seqs, records) {
            let plan = HashReadPlan.inclusionProof(index: seq, size: size)
            entries.append(
                .init(seq: seq, record: record, proof: plan.combine(try await store.hashes(at: plan.indices))))
        }
        return entries
    }
}

extension ProductBundle {
    /// The registry `entries` make, each proved in the tree of `checkpoint` (verified with `log`, and `quorum` of
    /// `witnesses`), signed, and a registry statement; and the checkpoint's body.
    public static func registry(
        checkpoint: SignedNote, entries: [Entry], log: Ed25519NoteVerifier, witnesses: [CosignatureVerifier] = [],
        quorum: Int = 0, before end: Int64? = nil
    ) throws -> (Registry, Checkpoint) {
        guard case .verified(let names) = checkpoint.verify([log] + witnesses), names.contains(log.name),
            names.count - 1 >= quorum
        else {
            throw EngineError(
                .bundleCheckpoint, "the checkpoint is not signed by '\(log.name)' and \(quorum) of the witnesses")
        }
        let body = try Checkpoint(text: checkpoint.text)
        var registry = Registry(operatorKey: log.verifierKey)
        var last: Int64 = -1
        for entry in entries {
            guard entry.seq > last else {
                throw EngineError(.bundleOrder, "records are not in increasing order at \(entry.seq)")
            }
            last = entry.seq
            guard entry.seq < end ?? body.size else { continue }
            guard try verify(entry, in: body, registry: &registry) == nil else {
                throw EngineError(.bundleRecord, "record \(entry.seq) is not a registry statement")
            }
        }
        registry.skip(to: min(end ?? body.size, body.size))
        return (registry, body)
    }

    /// A bundle of `entries`, sealed by the ledger's operator key.
    static func sealed(
        code: String, checkpoint: SignedNote, entries: [Entry], by ledger: Ledger
    ) throws -> ProductBundle {
        guard let signer = ledger.signer else { throw LedgerError.noOperatorKey }
        let text = sealText(version: format, code: code, checkpoint: checkpoint, entries: entries)
        return ProductBundle(
            code: code, checkpoint: checkpoint, entries: entries,
            seal: try SignedNote(text: text, signatures: [try signer.sign(text)]))
    }
}
