import Foundation
import LedgerRules
import LedgerStore
import Logging
import Participants
import Statements
import TransparencyLog

/// Statements that passed `Ledger.prepare`: every signature verified, within the size limit, in canonical
/// form. Only `prepare` makes them, so nothing unchecked can reach the log through the engine.
public struct PreparedStatements: Sendable {
    private(set) var canonical: [[UInt8]]
    /// What each says, and who signed it.
    private(set) var statements: [Statement]
    private(set) var signers: [[String]]
    /// Each sealed event's opening, in the store's form (nil for other statements): kept beside the log.
    private(set) var openings: [[UInt8]?]
    /// Each statement's index keys (`Statement.indexKeys`), worked out with its other checks, on all cores.
    private(set) var indexKeys: [[String]]
    /// Each statement's duplicate key and, for an event, its demands (`Admission.Request`): worked out here too,
    /// so that admission, which runs on one core, does not.
    private(set) var duplicateKeys: [String]
    private(set) var demands: [RecordingPolicy.Demands?]
    /// Whether every signer must be a registered participant's current key (or the operator's), checked under
    /// the append's sequencing, whatever the statement says. Events and registry statements are always held to
    /// their own signer rules; this extends a rule to opaque statements (the server's capture routes).
    public var participantsOnly = false

    /// How many statements.
    public var count: Int { canonical.count }

    /// Whether every statement is an EPCIS event.
    /// The number of plain (unsealed) event statements among them.
    public var plainEvents: Int {
        zip(statements, openings).count { statement, opening in
            if case .event = statement { return opening == nil }
            return false
        }
    }

    public var allEvents: Bool {
        statements.allSatisfy {
            if case .event = $0 { return true }
            return false
        }
    }

    /// The statements `indices`, in that order.
    public func subset(_ indices: [Int]) -> PreparedStatements {
        var subset = PreparedStatements(
            canonical: indices.map { canonical[$0] }, statements: indices.map { statements[$0] },
            signers: indices.map { signers[$0] }, openings: indices.map { openings[$0] },
            indexKeys: indices.map { indexKeys[$0] }, duplicateKeys: indices.map { duplicateKeys[$0] },
            demands: indices.map { demands[$0] })
        subset.participantsOnly = participantsOnly
        return subset
    }

    /// Appends `more`'s statements after these.
    mutating func append(_ more: PreparedStatements) {
        canonical += more.canonical
        statements += more.statements
        signers += more.signers
        openings += more.openings
        indexKeys += more.indexKeys
        duplicateKeys += more.duplicateKeys
        demands += more.demands
    }

    /// No statements.
    static let none = PreparedStatements(
        canonical: [], statements: [], signers: [], openings: [], indexKeys: [], duplicateKeys: [], demands: [])

    /// The admission request for these statements.
    func request(atomic: Bool) -> Admission.Request {
        Admission.Request(
            statements: statements, signers: signers, atomic: atomic, participantsOnly: participantsOnly,
            duplicateKeys: duplicateKeys, demands: demands)
    }
}

/// What each core keeps from statement to statement while `prepare` checks them: the signers' verifier keys, and
/// the working memory a sealed event is opened in.
private struct Workspace {
    var verifiers: [String: Ed25519NoteVerifier] = [:]
    var opening = SealedEvent.ByteOpening()
}

/// One statement as `prepare` checked it.
private struct Checked {
    let canonical: [UInt8]
    let statement: Statement
    let signers: [String]
    let opening: [UInt8]?
    let indexKeys: [String]
    let duplicateKey: String
    let demands: RecordingPolicy.Demands?
}

extension PreparedStatements {
    /// None yet, with room for `count`.
    init(reservingCapacity count: Int) {
        self = .none
        canonical.reserveCapacity(count)
        statements.reserveCapacity(count)
        signers.reserveCapacity(count)
        openings.reserveCapacity(count)
        indexKeys.reserveCapacity(count)
        duplicateKeys.reserveCapacity(count)
        demands.reserveCapacity(count)
    }

    /// Appends one checked statement.
    fileprivate mutating func append(_ checked: Checked) {
        canonical.append(checked.canonical)
        statements.append(checked.statement)
        signers.append(checked.signers)
        openings.append(checked.opening)
        indexKeys.append(checked.indexKeys)
        duplicateKeys.append(checked.duplicateKey)
        demands.append(checked.demands)
    }
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
        let checked = Parallel.map(submissions, state: { Workspace() }) {
            submission, workspace -> Result<Checked, any Error> in
            let envelope = submission.envelope
            do {
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
                        using: &workspace.opening)
                    ?? Statement(
                        payloadType: envelope.payloadType, payload: envelope.payload, opening: submission.opening)
                let indexKeys = statement.indexKeys
                return .success(
                    Checked(
                        canonical: json, statement: statement, signers: envelope.signatures.map(\.keyid),
                        opening: stored, indexKeys: indexKeys,
                        duplicateKey: Admission.duplicateKey(statement, indexKeys: indexKeys),
                        demands: Admission.demands(statement)))
            } catch { return .failure(error) }
        }
        // One pass, into arrays made to measure: this part runs on one core while the other waits for the next
        // batch's check, so each statement's values are moved once rather than copied into each array in turn.
        var prepared = PreparedStatements(reservingCapacity: checked.count)
        for (index, result) in checked.enumerated() {
            switch result {
            case .success(let value): prepared.append(value)
            case .failure(let error):
                throw LedgerError.invalidStatement(
                    index: index, error as? any CodedError ?? EngineError(.statement, "\(error)"))
            }
        }
        return prepared
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
            let decoded = Parallel.map(batch) { json in Result { try Submission(json: json) } }
            let decodedSubmissions = try decoded.enumerated().map { offset, result in
                switch result {
                case .success(let envelope): return envelope
                case .failure(let error):
                    throw LedgerError.invalidStatement(
                        index: first + offset, error as? any CodedError ?? StatementError(.envelopeJSON, "\(error)"))
                }
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
