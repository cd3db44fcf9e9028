import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import Mustache
import Participants
import Statements
import Threadline
import TransparencyLog

/// The page a consumer sees after scanning a label (`Specs/17-server.md` §Resolver, `Specs/24-products.md` §5):
/// the product's name, brand and picture, one status, a summary in words derived from the signed events, what the
/// brand says, the journey by stage (folded), and the proof data to repeat the check. Every word comes from the
/// message catalogue in the reader's language. Plain HTML, phone first, no JavaScript.
enum ConsumerPage {
    /// The page's template: `Resources/consumer-page.mustache`, embedded in the binary.
    static let template: MustacheTemplate = {
        // The template is a file of this package, parsed by its tests: a parse error cannot reach a user.
        try! MustacheTemplate(string: String(decoding: PackageResources.consumer_page_mustache, as: UTF8.self))
    }()

    /// What the page shows, besides the journey's assessment.
    struct Content {
        /// The product data that applies to the product's GTIN, if its brand recorded one.
        var product: ProductData?
        /// The product data of the materials' GTINs, by GTIN (their names).
        var materials: [String: ProductData] = [:]
        /// The page's path, for the language links.
        var path: String
        /// The hidden code's form, when the serial has a committed code (24 §7).
        var code: CodeBox?
    }

    /// The hidden code's form, and what the code entered came to.
    struct CodeBox {
        let outcome: ResolverRoutes.CodeOutcome?
    }

    /// The page of `assessment`, with every step's proof checked against the latest checkpoint, in `words`'
    /// language.
    static func render(
        _ assessment: Assessment, story: ProductStory, content: Content, proofs proven: [TlogProof],
        entries: [[UInt8]], log: Ed25519NoteVerifier, words: Localizer
    ) -> String {
        let journey = assessment.journey
        var context: [String: Any] = [
            "lang": words.language, "identifier": journey.identifier, "codeLabel": words("page.code"),
            "languageLabel": words("page.language"),
            "languages": words.catalogue.languages.map { language -> [String: Any] in
                [
                    "name": language.name, "tag": language.tag, "current": language.tag == words.language,
                    "href": content.path + "?lang=" + language.tag,
                ]
            },
        ]
        let name = content.product?.name.text(for: [words.language]) ?? words("page.thisProduct")
        context["name"] = name
        context["title"] = words("page.title", ["name": name])
        if let brand = content.product?.brandName?.text(for: [words.language]) ?? story.brand?.profile.name {
            context["brandLine"] = words("product.by", ["brand": brand])
        }
        context["image"] = content.product?.image
        context.merge(status(story, words: words)) { _, new in new }
        if let code = content.code { context["code"] = codeBox(code, path: content.path, words: words) }
        context.merge(proof(journey, proofs: proven, entries: entries, log: log, words: words)) { _, new in new }
        if let product = content.product { context.merge(brandSays(product, words: words)) { _, new in new } }
        // Whom the brand lets sell it now: a shopper's check against a seller's say-so.
        if let brand = story.brand, !story.channels.isEmpty {
            context["channelsTitle"] = words("channels.title")
            context["channelsNote"] = words("channels.note", ["brand": brand.profile.name])
            context["channels"] = story.channels.map(\.profile.name)
        }
        context.merge(summary(story, content: content, words: words)) { _, new in new }
        context["hasSummary"] = story.madeBy != nil || !story.materials.isEmpty || !story.certifications.isEmpty
        context["journeyTitle"] = words("journey.title")
        let stages = stages(assessment, story: story, content: content, words: words)
        context["stages"] = stages
        context["hasJourney"] = !stages.isEmpty
        if journey.steps.contains(where: \.sealed) {
            let link =
                "/bundle?code="
                + (journey.identifier.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            let text = words("check.sealed")
            let parts = text.components(separatedBy: "{link}")
            context["sealed"] = [
                "before": parts.first ?? "", "after": parts.count > 1 ? parts[1] : "", "link": link,
                "linkText": words("check.bundle"),
            ]
        }
        context["checkTitle"] = words("check.title")
        context["checkIntro"] = words("check.intro")
        return template.render(context)
    }

    /// The one status: its kind (for the page's colours), its title, why, and what to do.
    static func status(_ story: ProductStory, words: Localizer) -> [String: Any] {
        func who(_ participant: Participant?) -> String { participant?.profile.name ?? words("who.unregistered") }
        let brand = who(story.brand)
        var out: [String: Any] = [:]
        var details: [String] = []
        switch story.status {
        case .inStock(let seller, let since):
            out = [
                "statusKind": "genuine", "statusTitle": words("status.inStock.title", ["seller": seller.profile.name]),
            ]
            details = [
                words(
                    "status.inStock.detail", ["seller": seller.profile.name, "brand": brand, "date": words.day(since)])
            ]
        case .sold(let on, let seller):
            out = ["statusKind": "genuine", "statusTitle": words("status.sold.title", ["date": words.day(on)])]
            details = [words("status.sold.detail", ["seller": who(seller)])]
        case .inSupplyChain(let holder):
            out = ["statusKind": "genuine", "statusTitle": words("status.inSupplyChain.title")]
            details = [words("status.inSupplyChain.detail", ["holder": who(holder)])]
        case .recalled(let by, let on, let reason):
            out = [
                "statusKind": "recalled", "statusTitle": words("status.recalled.title"),
                "statusTodo": words("status.recalled.todo"), "alert": true,
            ]
            details = [words("status.recalled.detail", ["who": who(by), "date": words.day(on)])]
            if let reason { details.append(words("status.recalled.reason", ["reason": reason])) }
        case .suspect(let suspicions):
            out = [
                "statusKind": "suspect", "statusTitle": words("status.suspect.title"),
                "statusTodo": words("status.suspect.todo"), "alert": true,
            ]
            details = suspicions.map { suspicion in
                switch suspicion {
                case .copy: words("suspect.copy")
                case .unauthorisedSeller(let seller):
                    words("suspect.unauthorisedSeller", ["seller": seller.profile.name, "brand": brand])
                case .stolen: words("suspect.stolen")
                case .destroyed: words("suspect.destroyed")
                case .verifiedAgain(let first, let times):
                    words("suspect.verifiedAgain", ["date": words.day(millis: first), "times": words.number(times)])
                }
            }
        case .unknown(let eventsButNotMade):
            out = ["statusKind": "unknown", "statusTitle": words("status.unknown.title")]
            details = [words(eventsButNotMade ? "status.unknown.notMade" : "status.unknown.detail")]
        }
        if case .suspect = story.status {
        } else if let first = story.firstVerified {
            details.append(words("code.firstVerified", ["date": words.day(millis: first)]))
        }
        out["statusDetails"] = details
        out["statusIcon"] =
            switch out["statusKind"] as? String {
            case "genuine": "✓"
            case "unknown": "?"
            default: "⚠"
            }
        return out
    }

    /// The hidden code's form and the outcome of the code entered.
    static func codeBox(_ box: CodeBox, path: String, words: Localizer) -> [String: Any] {
        var out: [String: Any] = [
            "title": words("code.title"), "help": words("code.help"), "field": words("code.field"),
            "submit": words("code.submit"), "action": path + "?lang=" + words.language,
        ]
        let message: (String, String)? =
            switch box.outcome {
            case .checked(.first)?: ("ok", words("code.first"))
            case .checked(.wrong)?: ("bad", words("code.wrong"))
            case .invalid?: ("bad", words("code.invalid"))
            case .limited?: ("bad", words("code.limited"))
            case .checked(.again)?, .checked(.notCommitted)?, nil: nil
            }
        if let (kind, text) = message { out["message"] = ["kind": kind, "text": text] }
        return out
    }

    /// The quiet line about the evidence: every step proved in the log, or why not; and the proof data.
    static func proof(
        _ journey: Journey, proofs proven: [TlogProof], entries: [[UInt8]], log: Ed25519NoteVerifier, words: Localizer
    ) -> [String: Any] {
        guard !journey.steps.isEmpty else { return [:] }
        // Every proof is against the same checkpoint: its signature is checked once, then each step's inclusion.
        var problem: String?
        var body: Checkpoint?
        if let first = proven.first, let entry = entries.first {
            switch first.verify(entry: entry, log: log) {
            case .valid(let verified): body = verified
            case .invalid(_, let why): problem = why
            }
        }
        // The proof data, one block a step: base64 and numbers, nothing to escape (escaping kilobytes of it was
        // most of the page's time).
        var blocks = ""
        for (proof, entry) in zip(proven, entries) {
            let leaf = Merkle.leafHash(entry)
            if let body,
                !Proofs.verifyInclusion(
                    leafHash: leaf, index: proof.index, size: body.size, proof: proof.path, root: body.root)
            {
                problem = problem ?? "record \(proof.index) is not included in the tree of size \(body.size)"
            }
            blocks += "<pre>record \(proof.index) leaf \(leaf.base64)\n"
            blocks += proof.path.map(\.base64).joined(separator: "\n") + "</pre>\n"
        }
        let proved = problem == nil && body != nil
        return [
            "proved": proved,
            "proofLine": proved
                ? words(
                    "proof.ok",
                    [
                        "count": words.number(journey.steps.count), "origin": body?.origin ?? "",
                        "size": String(body?.size ?? 0),
                    ])
                : words("proof.failed", ["problem": problem ?? words("proof.none")]),
            "checkpoint": proven.first?.checkpoint.encoded ?? "", "proofs": blocks,
        ]
    }

    /// What the brand says: its signed product data.
    static func brandSays(_ product: ProductData, words: Localizer) -> [String: Any] {
        let languages = [words.language]
        var facts: [[String: Any]] = []
        func fact(_ label: String, _ value: String) { facts.append(["label": words(label), "value": value]) }
        if let category = product.category { fact("brand.category", category.text(for: languages)) }
        if !product.composition.isEmpty {
            fact(
                "brand.composition",
                words.list(
                    product.composition.map {
                        words(
                            "fibre.share",
                            [
                                "fibre": words("fibre." + $0.fibre),
                                "percent": words("percent", ["n": words.number($0.percent)]),
                            ])
                    }))
        }
        if let recycled = product.recycledContent {
            fact("brand.recycled", words("percent", ["n": words.number(recycled)]))
        }
        if let country = product.countryOfManufacture { fact("brand.country", words.country(country)) }
        var out: [String: Any] = [
            "brandTitle": words("brand.title"), "brandFacts": facts,
            "brandNote": words("brand.note", ["brand": product.brandName?.text(for: languages) ?? ""]),
        ]
        out["description"] = product.description.map { lines($0.text(for: languages)) }
        if let care = product.care {
            out["care"] = ["label": words("brand.care"), "lines": lines(care.text(for: languages))]
        }
        return out
    }

    private static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// The summary in words: who made it and where, where its materials were made, its certifications.
    static func summary(_ story: ProductStory, content: Content, words: Localizer) -> [String: Any] {
        func who(_ participant: Participant?) -> String { participant?.profile.name ?? words("who.unregistered") }
        var out: [String: Any] = ["summaryTitle": words("summary.title"), "summaryNote": words("summary.note")]
        if let made = story.madeBy {
            out["madeBy"] =
                place(made.place, words: words).map {
                    words("summary.madeBy", ["who": who(made.participant), "where": $0])
                }
                ?? words("summary.madeByNoPlace", ["who": who(made.participant)])
        }
        if !story.materials.isEmpty {
            out["materialsTitle"] = words("summary.materials")
            out["materials"] = story.materials.map { making -> String in
                let what = words.list(making.made.map { identifier(in: $0, content: content, words: words) })
                guard let place = place(making.place, words: words) else {
                    return words("summary.materialNoPlace", ["what": what, "who": who(making.participant)])
                }
                return words("summary.material", ["what": what, "who": who(making.participant), "where": place])
            }
        }
        if !story.certifications.isEmpty {
            out["certificationsTitle"] = words("summary.certifications")
            out["certifications"] = story.certifications.map { certification -> String in
                if let certifier = certification.certifier {
                    return words(
                        "cert.byCertifier",
                        ["certificate": certification.certificate, "certifier": certifier.profile.name])
                }
                return words(
                    "cert.claimed",
                    [
                        "certificate": certification.certificate,
                        "who": words.list(certification.claimedBy.map(\.profile.name)),
                    ])
            }
        }
        return out
    }

    /// A place in words: its name in the reader's language and its country; nil when nothing is known.
    static func place(_ place: Participant.Place?, words: Localizer) -> String? {
        guard let place else { return nil }
        let name = place.name?.text(for: [words.language])
        let country = place.country.map(words.country)
        switch (name, country) {
        case (let name?, let country?): return words("where.place", ["place": name, "country": country])
        case (let name?, nil): return name
        case (nil, let country?): return country
        case (nil, nil): return nil
        }
    }

    /// An identifier as a shopper reads it: `serial TS-0001`, `lot DYE-A-0917 (Dyed jersey)`.
    static func identifier(in canonical: String, content: Content, words: Localizer) -> String {
        var text = canonical
        for (marker, key) in [("/21/", "what.serial"), ("/10/", "what.lot"), ("/00/", "what.unit")] {
            if let range = canonical.range(of: marker, options: .backwards) {
                text = words(key, ["value": String(canonical[range.upperBound...])])
                break
            }
        }
        guard let gtin = DigitalLink.gtin(inCanonical: canonical), gtin != content.product?.gtin,
            let name = content.materials[gtin]?.name.text(for: [words.language])
        else { return text }
        return words("what.named", ["what": text, "name": name])
    }

    /// The journey by stage, each step in words: what was done, by whom, where, to what, when.
    static func stages(
        _ assessment: Assessment, story: ProductStory, content: Content, words: Localizer
    ) -> [[String: Any]] {
        let journey = assessment.journey
        let identifiers = story.identifiers
        func named(_ list: [String]) -> [String] {
            list.map(DigitalLink.canonical).filter(identifiers.contains).map {
                identifier(in: $0, content: content, words: words)
            }
        }
        var stages: [[String: Any]] = []
        var current: (stage: Journey.Stage, steps: [[String: Any]])?
        func close() {
            guard let current else { return }
            stages.append([
                "name": words("stage." + current.stage.rawValue),
                "count": words("journey.count", ["count": words.number(current.steps.count)]),
                "steps": current.steps,
            ])
        }
        for step in journey.steps {
            let e = step.event
            let term = e.bizStepTerm ?? (e.kind == .transformation ? "transforming" : "")
            let verb = words.catalogue.messages["step." + term] != nil ? words("step." + term) : words("step.other")
            var what: String
            switch e.kind {
            case .aggregation, .association:
                let children = words.list(named(e.childEPCs + e.childQuantityList.map(\.epcClass)))
                let parent = e.parentID.map {
                    identifier(in: DigitalLink.canonical($0), content: content, words: words)
                }
                if let parent, !children.isEmpty, e.action != .observe {
                    what = words(
                        e.action == .delete ? "what.takenOutOf" : "what.putInto",
                        ["children": children, "parent": parent])
                } else {
                    what = [children, parent ?? ""].filter { !$0.isEmpty }.joined(separator: " · ")
                }
            case .transformation:
                let inputs = words.list(named(e.inputEPCList + e.inputQuantityList.map(\.epcClass)))
                let outputs = words.list(named(e.outputEPCList + e.outputQuantityList.map(\.epcClass)))
                what =
                    inputs.isEmpty || outputs.isEmpty
                    ? inputs + outputs : words("what.madeInto", ["inputs": inputs, "outputs": outputs])
            default:
                what = words.list(named(e.epcList + e.quantityList.map(\.epcClass)))
            }
            var row: [String: Any] = [
                "verb": verb, "who": step.participant?.profile.name ?? words("who.unregistered"), "what": what,
                "when": words.moment(e.eventTime), "record": words("step.record", ["seq": String(step.seq)]),
                "certifications": e.certificationInfo.map { words("step.certified", ["certificate": $0]) },
            ]
            row["where"] = place(ProductStory.place(of: step, in: assessment.registry), words: words)
            if current?.stage != step.stage {
                close()
                current = (step.stage, [])
            }
            current?.steps.append(row)
        }
        close()
        return stages
    }
}
