import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import Participants
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
        code: String, seller: String, claims: [(key: String, value: String)], acceptingCheckpoint: Bool = true
    ) async throws -> ListingCheck.Result {
        _ = try DigitalLink.canonical(asking: code)
        if acceptingCheckpoint { _ = try await latestCheckpoint() }
        let query =
            "/check-listing?code=\(Self.escaped(code))&seller=\(Self.escaped(seller))"
            + claims.map { "&claim=" + Self.escaped($0.key + "=" + $0.value) }.joined()
        let answer = try server.expect(try await server.get(query), "the listing check")
        do { return try JSONDecoder().decode(ListingCheck.Result.self, from: Data(answer.body)) } catch {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the server's listing check does not read: \(error)")
        }
    }

    /// `text` as a query value: every byte but unreserved ones percent-encoded.
    static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(
                charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }
}
