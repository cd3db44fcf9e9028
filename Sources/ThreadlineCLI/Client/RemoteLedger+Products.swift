import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import Participants
import Statements
import Threadline
import TransparencyLog

/// What a server says about a product, verified (`Specs/22-client.md` §3): journeys and bundles are proved record
/// by record; a listing verdict is the server's, given against a checkpoint the client accepted.
extension RemoteLedger {
    /// The bundle of `code` in this reader's view, verified — the operator's seal, the checkpoint (with the
    /// witnesses' quorum, consistent with the trusted one), every record's inclusion and signatures — with the
    /// bytes as the server sent them.
    func provedBundle(
        _ code: String
    ) async throws -> (bytes: [UInt8], bundle: ProductBundle, proved: ProductBundle.Verification) {
        let answer = try server.expect(
            try await server.get("/bundle?code=" + Self.escaped(code), limit: 1 << 30), "the bundle of \(code)")
        do {
            let bundle = try ProductBundle(parsing: answer.body)
            let proved = try await bundle.verify(log: log, witnesses: witnesses, quorum: quorum, partial: true)
            try await accept(bundle.checkpoint)
            return (answer.body, bundle, proved)
        } catch let error as any CodedError {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the server's bundle of \(code) does not verify: \(error.reason)")
        }
    }

    /// The journey of `code` in this reader's view: the steps the server reports (`GET /trace`), each rebuilt from
    /// its record as proved in the product's bundle — the event, its recorder from the proved registry, its stage.
    /// How a step is linked to the product (`via`) is the server's word: in a partial view the linking step may
    /// not be the reader's to see. No step the reader may see is `404`: an empty journey.
    func trace(_ code: String) async throws -> (Journey, Registry) {
        let identifier = try DigitalLink.canonical(asking: code)
        let answer = try await server.get("/trace?code=" + Self.escaped(code))
        if answer.status == 404 {
            return (
                Journey(code: code, identifier: identifier, steps: []), Registry(operatorKey: log.verifierKey)
            )
        }
        let body = try server.expect(answer, "the trace").body
        let reported: JourneyJSON
        do { reported = try JSONDecoder().decode(JourneyJSON.self, from: Data(body)) } catch {
            throw CommandFailure(CommandFailure.verificationFailed, "the server's journey does not read: \(error)")
        }
        let proved = try await provedBundle(code).proved
        let events = Dictionary(proved.events.map { ($0.seq, $0) }, uniquingKeysWith: { first, _ in first })
        let steps = try reported.steps.map { step -> Journey.Step in
            guard let recorded = events[step.seq], recorded.hash == step.hash else {
                throw CommandFailure(
                    CommandFailure.verificationFailed,
                    "the server's journey names record \(step.seq) (\(step.hash)), which its bundle does not prove")
            }
            guard let via = JourneyWords.link(parsing: step.via) else {
                throw CommandFailure(
                    CommandFailure.verificationFailed, "the server's journey links record \(step.seq) as '\(step.via)'")
            }
            let participant = Ledger.recorder(of: recorded, in: proved.registry)
            return Journey.Step(
                seq: step.seq, event: recorded.event, hash: recorded.hash, participant: participant,
                stage: Journey.Stage.of(recorded.event, roles: participant?.profile.roles ?? []), via: via)
        }
        guard reported.identifier == identifier else {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the server traced \(reported.identifier), not \(identifier)")
        }
        return (Journey(code: code, identifier: identifier, steps: steps), proved.registry)
    }

    /// The server's listing verdict (`GET /check-listing`), given once the server's latest checkpoint is accepted
    /// (unless the caller has just accepted it).
    func checkListing(
        code: String, seller: String, claims: [(key: String, value: String)], at time: String? = nil,
        acceptingCheckpoint: Bool = true
    ) async throws -> ListingCheck.Result {
        _ = try DigitalLink.canonical(asking: code)
        if acceptingCheckpoint { _ = try await latestCheckpoint() }
        let query =
            "/check-listing?code=\(Self.escaped(code))&seller=\(Self.escaped(seller))"
            + claims.map { "&claim=" + Self.escaped($0.key + "=" + $0.value) }.joined()
            + (time.map { "&at=" + Self.escaped($0) } ?? "")
        let answer = try server.expect(try await server.get(query), "the listing check")
        do { return try JSONDecoder().decode(ListingCheck.Result.self, from: Data(answer.body)) } catch {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the server's listing check does not read: \(error)")
        }
    }

    /// One page of an EPCIS event query (`GET /events`, signed): the events the reader may see, each rebuilt from
    /// its record as proved in the log (`threadline:records` names them, 11 §3) — the server's rendering of the
    /// events is only compared with them.
    func events(_ parameters: [(String, String)]) async throws -> EventPage {
        let query = parameters.map { Self.escaped($0.0) + "=" + Self.escaped($0.1) }.joined(separator: "&")
        let answer = try server.expect(try await server.get("/events?" + query), "the event query")
        let results: JSONValue?
        do { results = try JSONValue(parsing: answer.body)["epcisBody"]?["queryResults"] } catch {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the server's query document does not read: \(error)")
        }
        let listed = results?["resultsBody"]?["eventList"]?.elements ?? []
        let seqs = (results?["threadline:records"]?.elements ?? []).map { value -> Int64? in
            if case .number(let text) = value { return Int64(text) }
            return nil
        }
        guard seqs.count == listed.count, !seqs.contains(nil) else {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the server's query document does not say where its events are")
        }
        let records = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var records = [[UInt8]](repeating: [], count: seqs.count)
            var next = 0
            func add() {
                guard next < seqs.count, let seq = seqs[next] else { return }
                let index = next
                next += 1
                group.addTask { (index, try await provedRecord(seq).record) }
            }
            for _ in 0..<8 { add() }
            while let (index, record) = try await group.next() {
                records[index] = record
                add()
            }
            return records
        }
        // A sealed event comes with its opening: it is opened against its signed record, and must be the one listed.
        let openings = try (results?["threadline:openings"]?.elements ?? seqs.map { _ in .null }).map {
            value -> Opening? in
            guard value != .null else { return nil }
            do { return try Opening(stored: Array(value.serialized.utf8)) } catch {
                throw CommandFailure(
                    CommandFailure.verificationFailed, "the server's query document has an opening that does not read")
            }
        }
        guard openings.count == seqs.count else {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the server's query document does not say what opens its events")
        }
        let events = try zip(zip(seqs.compactMap { $0 }, openings), zip(records, listed)).map {
            place, pair -> RecordedEvent in
            let (seq, opening) = place
            guard let record = try? LedgerRecord(bytes: pair.0),
                let recorded = RecordedEvent(seq: seq, record: record, opening: opening),
                (try? recorded.eventJSON)?.serialized == pair.1.serialized
            else {
                throw CommandFailure(
                    CommandFailure.verificationFailed,
                    "the server's event at record \(seq) is not the one recorded there")
            }
            return recorded
        }
        let next = results?["nextPageToken"]?.stringValue.flatMap { Int64($0) }
        return EventPage(events: events, next: next)
    }

    /// `text` as a query value: every byte but unreserved ones percent-encoded.
    static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(
                charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }
}

extension RemoteLedger {
    /// The registry as the server's registry statements make it (`GET /registry`), each proved in the log, as it
    /// stood for record `end` (default: the whole log); the checkpoint is accepted.
    func registry(before end: Int64? = nil) async throws -> Registry {
        let answer = try server.expect(try await server.get("/registry"), "the registry")
        do {
            let json = try JSONValue(parsing: answer.body)
            guard let text = json["checkpoint"]?.stringValue else {
                throw CommandFailure(CommandFailure.verificationFailed, "the server's registry names no checkpoint")
            }
            let checkpoint = try SignedNote(parsing: text)
            let (registry, _) = try ProductBundle.registry(
                checkpoint: checkpoint, entries: try ProductBundle.entries(json["records"]), log: log,
                witnesses: witnesses, quorum: quorum, before: end)
            try await accept(checkpoint)
            return registry
        } catch let error as any CodedError {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the server's registry does not verify: \(error.reason)")
        }
    }
}

extension RemoteLedger {
    /// The product data the server says applies to `gtin` (`GET /products/{gtin}`, 24 §4), proved: its record in a
    /// checkpoint this client accepts, its signatures, and its signer a current key of the owner of the GTIN's
    /// company prefix in the proved registry. Nil when the server has none. That it is the latest is the server's
    /// word.
    func product(gtin: String) async throws -> (seq: Int64, product: ProductData, owner: String)? {
        let answer = try await server.get("/products/" + gtin)
        if answer.status == 404 { return nil }
        let body = try server.expect(answer, "the product data of \(gtin)").body
        func refuse(_ why: String) -> CommandFailure {
            CommandFailure(CommandFailure.verificationFailed, "the server's product data of \(gtin) \(why)")
        }
        do {
            let json = try JSONValue(parsing: body)
            let entries = try ProductBundle.entries(json["records"])
            guard let text = json["checkpoint"]?.stringValue, entries.count == 1 else {
                throw refuse("is not one record with its checkpoint")
            }
            let entry = entries[0]
            let checkpoint = try await accept(try SignedNote(parsing: text))
            guard
                Proofs.verifyInclusion(
                    leafHash: Merkle.leafHash(entry.record), index: entry.seq, size: checkpoint.size,
                    proof: entry.proof, root: checkpoint.root)
            else { throw refuse("is not in the tree of size \(checkpoint.size) the server signed") }
            let record = try LedgerRecord(bytes: entry.record)
            _ = try record.envelope.verifySignatures().get()
            let signers = record.envelope.signatures.map(\.keyid)
            guard record.seq == entry.seq, record.envelope.payloadType == ProductData.payloadType else {
                throw refuse("is record \(record.seq), not a product statement at \(entry.seq)")
            }
            let product = try ProductData(payload: record.envelope.payload)
            guard product.gtin == gtin else { throw refuse("is about GTIN \(product.gtin)") }
            let registry = try await registry(before: entry.seq)
            if let refusal = registry.refusal(of: product, signers: signers, at: entry.seq) {
                throw refuse("could not be recorded: \(refusal.reason)")
            }
            let owner = signers.lazy.compactMap { key -> String? in
                guard case .valid(let id) = registry.signer(key, at: entry.seq),
                    registry.participants[id]?.companyPrefix(ofGTIN: gtin) != nil
                else { return nil }
                return id
            }.first
            return (entry.seq, product, owner ?? "")
        } catch let error as any CodedError {
            throw refuse("does not verify: \(error.reason)")
        }
    }
}

extension RemoteLedger {
    /// The passport the server issues of `code` (`linkType=gs1:sustainabilityInfo`, 24 §8), verified — signed by
    /// the pinned operator key, its checkpoint accepted, every record of its evidence in that tree — and reissued
    /// by `issuer` under its own `did:key` (to be signed by it).
    func passport(_ code: String, issuer: SigningKey, name: String?) async throws -> JSONValue {
        let link = try DigitalLink.canonical(asking: code)
        guard link.hasPrefix("https://id.gs1.org/01/") else {
            throw CommandFailure(CommandFailure.inputRefused, "'\(code)' is not a product's Digital Link")
        }
        let path = String(link.dropFirst("https://id.gs1.org".count))
        let answer = try await server.get(path + "?linkType=gs1:sustainabilityInfo", limit: 1 << 26)
        if answer.status == 404 { throw CommandFailure(CommandFailure.notFound, "no event concerns \(code)") }
        let jws = try server.expect(answer, "the passport of \(code)").text.trimmingCharacters(
            in: .whitespacesAndNewlines)
        func refuse(_ why: String) -> CommandFailure {
            CommandFailure(CommandFailure.verificationFailed, "the server's passport of \(code) \(why)")
        }
        guard let credential = ProductPassport.credential(ofJWS: jws, publicKey: log.publicKey) else {
            throw refuse("is not signed by the operator's key")
        }
        guard let evidence = credential["evidence"]?.elements?.first, let note = evidence["checkpoint"]?.stringValue,
            let records = evidence["records"]?.elements
        else { throw refuse("carries no ledger evidence") }
        let checkpoint: Checkpoint
        do { checkpoint = try await accept(try SignedNote(parsing: note)) } catch let error as any CodedError {
            throw refuse("names a checkpoint that does not verify: \(error.reason)")
        }
        for record in records {
            guard case .number(let text)? = record["seq"], let seq = Int64(text),
                let leaf = record["leafHash"]?.stringValue.flatMap({ Hash(base64: $0) }),
                let path = record["proof"]?.elements?.map({ $0.stringValue.flatMap { Hash(base64: $0) } }),
                !path.contains(where: { $0 == nil }),
                Proofs.verifyInclusion(
                    leafHash: leaf, index: seq, size: checkpoint.size, proof: path.compactMap { $0 },
                    root: checkpoint.root)
            else { throw refuse("has evidence that is not in the tree of size \(checkpoint.size)") }
        }
        return ProductPassport(credential: credential).reissued(
            by: (ProductPassport.didKey(issuer.verifier.publicKey), name ?? issuer.name),
            id: "urn:uuid:" + UUID().uuidString.lowercased()
        ).credential
    }
}
