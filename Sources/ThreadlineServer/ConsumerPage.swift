import Foundation
import Mustache
import Provenance
import Threadline
import TransparencyLog

/// The page a consumer sees after scanning a label (`Specs/17-server.md` §Resolver): the product's journey stage
/// by stage, a "verified" mark when every step's inclusion proof checks against the operator's checkpoint, an
/// unmistakable warning when the product is recalled or suspect, and the proof data to repeat the check. Plain
/// HTML, readable on a small screen, no JavaScript.
enum ConsumerPage {
    static let template = try! MustacheTemplate(
        string: """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{title}}</title>
            <style>
            body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:1rem;color:#1b1b1b}
            h1{font-size:1.3rem}.id{font-family:monospace;word-break:break-all;color:#555}
            .ok{background:#e6f4ea;border:2px solid #1e7e34;padding:.6rem;border-radius:.4rem}
            .alert{background:#fdecea;border:3px solid #b00020;padding:.8rem;border-radius:.4rem;font-weight:bold}
            h2{font-size:1.05rem;margin-top:1.4rem;border-bottom:1px solid #ccc;text-transform:uppercase;letter-spacing:.05em}
            li{margin:.5rem 0}.what{color:#333}.small{font-size:.85rem;color:#555}
            details{margin-top:1.5rem}pre{white-space:pre-wrap;word-break:break-all;font-size:.75rem}
            </style></head><body>
            <h1>{{title}}</h1>
            <p class="id">{{identifier}}</p>
            {{#alerts}}<p class="alert" role="alert">&#9888; {{.}}</p>{{/alerts}}
            {{#verified}}<p class="ok">&#10003; Verified: all {{count}} steps are in the ledger {{origin}}, proved against its signed checkpoint of size {{size}}.</p>{{/verified}}
            {{^verified}}<p class="alert">Not verified: {{problem}}</p>{{/verified}}
            {{#stages}}
            <h2>{{name}}</h2>
            <ol>{{#steps}}<li><strong>{{step}}</strong> — {{who}}<br><span class="what">{{what}}</span><br>
            <span class="small">{{when}}{{#where}} · {{where}}{{/where}} · record {{seq}}</span>
            {{#certifications}}<br><span class="small">Certified: {{.}}</span>{{/certifications}}</li>{{/steps}}</ol>
            {{/stages}}
            <details><summary>Check it yourself</summary>
            <p class="small">The operator's checkpoint (C2SP signed note) and, for each step, its record number,
            leaf hash and inclusion proof (RFC 9162). <code>GET /records/N</code> gives each record's bytes.</p>
            <pre>{{checkpoint}}</pre>
            {{{proofs}}}
            </details>
            </body></html>
            """)

    /// The page for `journey`, with the proofs checked against the latest checkpoint.
    static func render(
        journey: Journey, proofs proven: [TlogProof], entries: [[UInt8]], log: Ed25519NoteVerifier,
        registry: Registry, integrity: [IntegrityRules.Finding]
    ) -> String {
        // Places by the name of the participant whose location (GLN) they are.
        var places: [String: String] = [:]
        for participant in registry.participants.values {
            for gln in participant.profile.locations {
                places["https://id.gs1.org/414/" + gln] = participant.profile.name
            }
        }
        var alerts: [String] = []
        if journey.isRecalled { alerts.append("RECALLED: do not use this product. The brand has recalled it.") }
        for finding in integrity where finding.identifier == journey.identifier {
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
            let row: [String: Any] = [
                "step": (e.bizStepTerm ?? e.kind.rawValue).replacingOccurrences(of: "_", with: " "),
                "who": step.participant?.profile.name ?? "an unregistered party",
                "what": JourneyWords.what(e, compact: true).map(JourneyWords.shortened).joined(separator: "; "),
                "when": JourneyWords.localTime(e).prefix(16) + " " + e.eventTimeZoneOffset, "seq": String(step.seq),
                "where": (e.bizLocation ?? e.readPoint).map { IndexKey.canonical($0) }.map { places[$0] ?? $0 } ?? "",
                "certifications": e.certificationInfo,
            ]
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
        ]
        return template.render(context)
    }
}
