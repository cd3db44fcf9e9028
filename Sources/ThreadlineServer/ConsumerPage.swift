import Foundation
import GS1Identifiers
import LedgerRules
import Mustache
import Threadline
import TransparencyLog

/// The page a consumer sees after scanning a label (`Specs/17-server.md` §Resolver): the product's journey stage
/// by stage, a "verified" mark when every step's inclusion proof checks against the operator's checkpoint, an
/// unmistakable warning when the product is recalled or suspect, and the proof data to repeat the check. Plain
/// HTML, readable on a small screen, no JavaScript.
enum ConsumerPage {
    /// The page's template: `Resources/consumer-page.mustache`, embedded in the binary.
    static let template: MustacheTemplate = {
        // The template is a file of this package, parsed by its tests: a parse error cannot reach a user.
        try! MustacheTemplate(string: String(decoding: PackageResources.consumer_page_mustache, as: UTF8.self))
    }()

    /// The page for `journey`, with the proofs checked against the latest checkpoint.
    static func render(
        _ assessment: Assessment, proofs proven: [TlogProof], entries: [[UInt8]], log: Ed25519NoteVerifier
    ) -> String {
        let (journey, registry) = (assessment.journey, assessment.registry)
        // Places by the name of the participant whose location (GLN) they are.
        var places: [String: String] = [:]
        for participant in registry.participants.values {
            for gln in participant.profile.locations {
                places["https://id.gs1.org/414/" + gln] = participant.profile.name
            }
        }
        var alerts: [String] = []
        if journey.isRecalled { alerts.append("RECALLED: do not use this product. The brand has recalled it.") }
        for finding in assessment.integrity where finding.identifier == journey.identifier {
            switch finding.code {
            case .cloneSuspected: alerts.append("SUSPECT: this code was seen in two places at once; it may be a copy.")
            case .stolen: alerts.append("REPORTED STOLEN.")
            case .destroyed: alerts.append("This product was recorded as destroyed.")
            default: break
            }
        }
        // Every proof is against the same checkpoint: its signature is checked once, then each step's inclusion.
        var problem: String?
        var body: Checkpoint?
        if let first = proven.first, let entry = entries.first {
            switch first.verify(entry: entry, log: log) {
            case .valid(let verified): body = verified
            case .invalid(_, let why): problem = why
            }
        }
        // The proof data, one block a step (base64 and numbers: nothing to escape).
        var proofText = ""
        for (proof, entry) in zip(proven, entries) {
            let leaf = Merkle.leafHash(entry)
            if let body,
                !Proofs.verifyInclusion(
                    leafHash: leaf, index: proof.index, size: body.size, proof: proof.path, root: body.root)
            {
                problem = problem ?? "record \(proof.index) is not included in the tree of size \(body.size)"
            }
            proofText += "<pre>record \(proof.index) leaf \(leaf.base64)\n"
            proofText += proof.path.map(\.base64).joined(separator: "\n") + "</pre>\n"
        }
        var stages: [[String: Any]] = []
        for step in journey.steps {
            let e = step.event
            var row: [String: Any] = [
                "step": (e.bizStepTerm ?? e.kind.rawValue).replacingOccurrences(of: "_", with: " "),
                "who": step.participant?.profile.name ?? "an unregistered party",
                "what": ReadPolicy.consumerTerms(of: step, in: journey).map(JourneyWords.shortened).joined(
                    separator: "; "),
                "when": JourneyWords.localTime(e).prefix(16) + " " + e.eventTimeZoneOffset, "seq": String(step.seq),
                "certifications": e.certificationInfo,
            ]
            // A sealed step's place is not among its consumer disclosures (23 §4): not shown. (Mustache takes an
            // empty string as present: a step without a place has no `where` at all.)
            if !step.sealed, let place = e.bizLocation ?? e.readPoint {
                row["where"] = places[DigitalLink.canonical(place)] ?? DigitalLink.canonical(place)
            }
            if stages.last?["name"] as? String == step.stage.rawValue {
                var last = stages.removeLast()
                last["steps"] = (last["steps"] as? [[String: Any]] ?? []) + [row]
                stages.append(last)
            } else {
                stages.append(["name": step.stage.rawValue, "steps": [row]])
            }
        }
        let context: [String: Any] = [
            "title": "The journey of this product", "identifier": journey.identifier, "alerts": alerts,
            "verified": problem == nil && body != nil, "problem": problem ?? "no proof",
            "count": String(journey.steps.count),
            "origin": body?.origin ?? "", "size": String(body?.size ?? 0), "stages": stages,
            "checkpoint": proven.first?.checkpoint.encoded ?? "", "proofs": proofText,
            "sealed": journey.steps.contains(where: \.sealed),
            "bundle": "/bundle?code="
                + (journey.identifier.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
        ]
        return template.render(context)
    }
}
