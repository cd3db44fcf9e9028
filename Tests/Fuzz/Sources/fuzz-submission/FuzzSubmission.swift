import FuzzSupport
import Statements

/// `Submission(json:)`, a statement as a participant submits it (a sealed one with its disclosures and decoy seeds),
/// and `Opening(stored:)`, an opening as the store keeps it (`Specs/23-sealed-events.md` §5). Properties: a
/// submission's JSON reads back as the same envelope and opening; an opening's stored form reads back as the same
/// opening; reading the statement a submission carries refuses or succeeds, never traps. Also an erasure
/// statement's payload (`Erasure(payload:)`, 23 §7), which has one form: what it reads, it writes back the same;
/// and the payloads of a brand's product statement (`ProductData(payload:)`, 24 §2) and of a registry statement,
/// whose places have countries and names (09 §2): what they read, they write as a payload that reads back the same;
/// and hidden codes' commitments and verifications (24 §7), which have one form each.
@main
enum FuzzSubmission: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        if let erasure = try? Erasure(payload: input.bytes) {
            require(erasure.payload == input.bytes, "an erasure reads from bytes it does not write")
        }
        if let product = try? ProductData(payload: input.bytes) {
            require(
                (try? ProductData(payload: product.payload)) == product, "a product statement reads back as another")
        }
        if let commitment = try? CodeCommitment(payload: input.bytes) {
            require(commitment.payload == input.bytes, "a commitment reads from bytes it does not write")
        }
        if let verification = try? CodeVerification(payload: input.bytes) {
            require(verification.payload == input.bytes, "a verification reads from bytes it does not write")
        }
        if let registry = try? RegistryStatement(payload: input.bytes) {
            require(
                (try? RegistryStatement(payload: registry.payload)) == registry,
                "a registry statement reads back as another")
        }
        if let opening = try? Opening(stored: input.bytes) {
            require((try? Opening(stored: opening.stored)) == opening, "a stored opening reads back as another")
        }
        guard let submission = try? Submission(json: input.bytes) else { return }
        let again = try? Submission(json: submission.json)
        require(
            again?.envelope == submission.envelope && again?.opening == submission.opening,
            "a submission's JSON reads back as another submission")
        if let opening = submission.opening {
            require((try? Opening(stored: opening.stored)) == opening, "an opening's stored form reads back as another")
        }
        let envelope = submission.envelope
        _ = try? Statement(payloadType: envelope.payloadType, payload: envelope.payload, opening: submission.opening)
    }
}
