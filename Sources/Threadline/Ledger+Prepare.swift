import Foundation
import LedgerRules
import LedgerStore
import Logging
import Participants
import Statements
import TransparencyLog

/// One statement as `Ledger.prepare` checked it: its canonical bytes, what it says and who signed it, and what
/// the append would otherwise work out on one core.
struct PreparedStatement: Sendable {
    let canonical: [UInt8]
    let statement: Statement
    let signers: [String]
    /// A sealed event's opening, in the store's form (nil for other statements): kept beside the log.
    let opening: [UInt8]?
    /// Its index keys (`Statement.indexKeys`).
    let indexKeys: [String]
    /// Its duplicate key and, for an event, its demands (`Admission.Request`).
    let duplicateKey: String
    let demands: RecordingPolicy.Demands?
}

/// Statements that passed `Ledger.prepare`: every signature verified, within the size limit, in canonical
/// form. Only `prepare` makes them, so nothing unchecked can reach the log through the engine.
public struct PreparedStatements: Sendable {
    /// The statements, in order, each with what was worked out with its check, on all cores, so that the
    /// admission and the write, which run on one, do not.
    private(set) var items: [PreparedStatement]
    /// Whether every signer must be a registered participant's current key (or the operator's), checked under
    /// the append's sequencing, whatever the statement says. Events and registry statements are always held to
    /// their own signer rules; this extends a rule to opaque statements (the server's capture routes).
    public var participantsOnly = false

    init(items: [PreparedStatement]) { self.items = items }

    /// How many statements.
    public var count: Int { items.count }

    /// Each statement's canonical bytes, what it says, and its opening, in order (a whole batch's, as a test
    /// builds its records).
    var canonical: [[UInt8]] { items.map(\.canonical) }
    var statements: [Statement] { items.map(\.statement) }
    var openings: [[UInt8]?] { items.map(\.opening) }

    /// The number of plain (unsealed) event statements among them.
    public var plainEvents: Int {
        items.count { item in
            if case .event = item.statement { return item.opening == nil }
            return false
        }
    }

    /// Whether every statement is an EPCIS event.
    public var allEvents: Bool {
        items.allSatisfy {
            if case .event = $0.statement { return true }
            return false
        }
    }

    /// The statements `indices`, in that order.
    public func subset(_ indices: [Int]) -> PreparedStatements {
        var subset = PreparedStatements(items: indices.map { items[$0] })
        subset.participantsOnly = participantsOnly
        return subset
    }

    /// Appends `more`'s statements after these.
    mutating func append(_ more: PreparedStatements) { items += more.items }

    /// No statements.
    static let none = PreparedStatements(items: [])

    /// The admission request for these statements.
    func request(atomic: Bool) -> Admission.Request {
        Admission.Request(
            statements: items.map(\.statement), signers: items.map(\.signers), atomic: atomic,
            participantsOnly: participantsOnly, duplicateKeys: items.map(\.duplicateKey), demands: items.map(\.demands))
    }
}

/// What each core keeps from statement to statement while `prepare` checks them: the signers' verifier keys, and
/// what reading events keeps (`EventFacts.Workspace`).
private struct Workspace {
    var verifiers: [String: Ed25519NoteVerifier] = [:]
    var facts = EventFacts.Workspace()
}

/// Admission's first half, off the actor: each statement's syntax, signatures, size and content, checked on all
/// cores before it is queued (`Specs/10-recording.md` §4).
extension Ledger {
    /// Checks each envelope (syntax, every signature, size, and an event or registry statement's content) and
    /// returns its canonical bytes with what it says, in parallel.
    public nonisolated static func prepare(_ envelopes: [Envelope]) throws -> PreparedStatements {
        try prepare(envelopes.map { Submission(envelope: $0) })
    }

    /// Checks each submission as `prepare(_:)` does an envelope; a sealed event is opened whole with its
    /// opening (`Specs/23-sealed-events.md` §3) and checked as the event it opens to.
    public nonisolated static func prepare(_ submissions: [Submission]) throws -> PreparedStatements {
        do {
            return PreparedStatements(
                items: try Parallel.map(submissions, state: { Workspace() }, throwing: check))
        } catch {
            throw LedgerError.invalidStatement(
                index: error.index, error.error as? any CodedError ?? EngineError(.statement, "\(error.error)"))
        }
    }

    /// Checks one submission (`prepare`), with the working memory of the core it runs on.
    private nonisolated static func check(
        _ submission: Submission, in workspace: inout Workspace
    ) throws -> PreparedStatement {
        let envelope = submission.envelope
        _ = try envelope.verifySignatures(cache: &workspace.verifiers).get()
        let json = envelope.canonicalJSON
        guard json.count <= LedgerRecord.maxEnvelopeBytes else {
            throw StatementError(
                .recordSize,
                "the statement is \(json.count) bytes as stored; a record holds at most "
                    + "\(LedgerRecord.maxEnvelopeBytes) (records are limited to 64 KiB − 1)")
        }
        let stored = submission.opening?.stored
        // Most events are read straight from their bytes; anything else, and any error, by the general reader.
        let statement =
            try EventFacts.statement(
                payloadType: envelope.payloadType, payload: envelope.payload, stored: stored,
                using: &workspace.facts)
            ?? Statement(payloadType: envelope.payloadType, payload: envelope.payload, opening: submission.opening)
        let indexKeys = statement.indexKeys
        return PreparedStatement(
            canonical: json, statement: statement, signers: envelope.signatures.map(\.keyid), opening: stored,
            indexKeys: indexKeys, duplicateKey: Admission.duplicateKey(statement, indexKeys: indexKeys),
            demands: Admission.demands(statement))
    }

    /// Decodes submitted DSSE envelope JSON documents (any valid form; a sealed event's with its opening,
    /// `Submission`) and checks them as `prepare` does, in parallel. Errors name the submission's index.
    ///
    /// With `signersIn`, every signature must also be by the operator or by a key valid in that registry for the
    /// next record — checked after decoding and before any signature is verified or payload read, so a statement
    /// from a key nobody registered costs the server a JSON decode, not a validation and a hash. The check is
    /// repeated under the append's sequencing (`participantsOnly`), which is the one that counts.
    ///
    /// The submissions are taken `batchSize` at a time: what decoding and checking build (JSON trees, decoded
    /// payloads, events) lives for one batch, and only what the append needs is kept — so the memory a long
    /// request costs is its own size and the statements it makes, not every intermediate form at once. The pieces
    /// may be slices of one request body: nothing is copied before its batch.
    public nonisolated static func prepare<Piece: Collection<UInt8> & Sendable>(
        submissions: [Piece], signersIn registry: Registry? = nil, batchSize: Int = 4096
    ) throws -> PreparedStatements {
        var all = PreparedStatements.none
        for first in stride(from: 0, to: submissions.count, by: max(1, batchSize)) {
            let batch = Array(submissions[first..<min(submissions.count, first + max(1, batchSize))])
            let decodedSubmissions: [Submission]
            do {
                decodedSubmissions = try Parallel.map(
                    batch, state: {}, throwing: { json, _ in try Submission(json: json) })
            } catch {
                throw LedgerError.invalidStatement(
                    index: first + error.index,
                    error.error as? any CodedError ?? StatementError(.envelopeJSON, "\(error.error)"))
            }
            if let registry {
                for (offset, submission) in decodedSubmissions.enumerated() {
                    for signature in submission.envelope.signatures where signature.keyid != registry.operatorKey {
                        let status = registry.signer(signature.keyid, at: registry.size)
                        if case .valid = status { continue }
                        throw LedgerError.refused(
                            index: first + offset,
                            RuleError(
                                .recordSigner, "the signer \(signature.keyid) may not submit: \(status.explanation)"
                            ),
                            existing: nil)
                    }
                }
            }
            let prepared: PreparedStatements
            do { prepared = try prepare(decodedSubmissions) } catch LedgerError.invalidStatement(let index, let error) {
                throw LedgerError.invalidStatement(index: first + index, error)
            }
            all.append(prepared)
        }
        return all
    }
}
